//! Pre-training building blocks: the marker layout on hand-checked sentences and masking
//! statistics. (The losses against PyTorch's values are in device.rs, on every device.)
use std::path::{Path, PathBuf};

use rand::SeedableRng;
use trainer::pretrain::input::{encode, Markers, Truncation};
use trainer::pretrain::masking::{mask, MaskSpec, IGNORE};
use trainer::tokenize::WordPieces;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn minilm() -> WordPieces {
    let dir = repo().join("artifacts/models/all-MiniLM-L6-v2");
    assert!(dir.exists(), "run `make model`");
    WordPieces::from_dir(&dir).unwrap()
}

fn words(s: &str) -> Vec<String> {
    s.split(' ').map(str::to_string).collect()
}

#[test]
fn marker_layout_on_hand_checked_sentences() {
    let tok = minilm();
    let m = Markers::from_vocab(&tok).unwrap();
    // BERT uncased vocab: [unused0..5] = 1..6, [CLS] 101, [SEP] 102.
    assert_eq!(m.ids, [1, 2, 3, 4, 5, 6]);
    let id = |w: &str| tok.pieces(w).unwrap();
    let tokens = words("Bill Gates founded Microsoft .");
    // Head (Microsoft) after tail (Bill Gates): markers follow sentence order.
    let x =
        encode(&tok, &m, &tokens, (3, 4), (0, 2), false, false, 64, Truncation::Window).unwrap();
    let mut want = vec![101, 3];
    want.extend(id("bill"));
    want.extend(id("gates"));
    want.push(4);
    want.extend(id("founded"));
    want.push(1);
    want.extend(id("microsoft"));
    want.extend([2]);
    want.extend(id("."));
    want.push(102);
    assert_eq!(x.ids, want);
    assert_eq!(
        (x.head_start, x.tail_start),
        (Some(want.iter().position(|&i| i == 1).unwrap()), Some(1))
    );
    // Head before tail, head blanked: [unused0] [unused4] [unused1].
    let y = encode(&tok, &m, &tokens, (0, 2), (3, 4), true, false, 64, Truncation::Window).unwrap();
    assert_eq!(&y.ids[..4], &[101, 1, 5, 2]);
    assert_eq!(y.head_start, Some(1));
    let t = y.tail_start.unwrap();
    assert_eq!(y.ids[t], 3);
    assert_eq!(&y.ids[t + 1..t + 1 + id("microsoft").len()], id("microsoft").as_slice());
    // Both blanked.
    let z = encode(&tok, &m, &tokens, (0, 2), (3, 4), true, true, 64, Truncation::Window).unwrap();
    assert!(z.ids.contains(&5) && z.ids.contains(&6));
}

#[test]
fn window_truncation_keeps_both_entities_and_prefix_can_lose_them() {
    let tok = minilm();
    let m = Markers::from_vocab(&tok).unwrap();
    let mut text = vec!["word"; 80];
    text[60] = "Paris";
    text[66] = "France";
    let tokens: Vec<String> = text.iter().map(|s| s.to_string()).collect();
    let w = encode(&tok, &m, &tokens, (60, 61), (66, 67), false, false, 32, Truncation::Window)
        .unwrap();
    assert_eq!(w.ids.len(), 32);
    assert_eq!((w.ids[0], w.ids[31]), (101, 102));
    let (h, t) = (w.head_start.unwrap(), w.tail_start.unwrap());
    assert_eq!((w.ids[h], w.ids[t]), (1, 3));
    assert!(w.ids.contains(&2) && w.ids.contains(&4), "closing markers kept");
    let p = encode(&tok, &m, &tokens, (60, 61), (66, 67), false, false, 32, Truncation::Prefix)
        .unwrap();
    assert_eq!(p.ids.len(), 32);
    assert_eq!((p.head_start, p.tail_start), (None, None));
}

#[test]
fn masking_rates_and_protected_positions() {
    let spec = MaskSpec { prob: 0.15, mask_id: 103, vocab_size: 30522, special: vec![0, 101, 102] };
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
    let (mut chosen, mut masked, mut kept, mut eligible) = (0usize, 0usize, 0usize, 0usize);
    for s in 0..4000 {
        let mut ids: Vec<i64> = (0..64).map(|i| 1000 + ((s * 64 + i) % 20000) as i64).collect();
        ids[0] = 101;
        ids[63] = 102;
        ids[60..63].fill(0);
        let orig = ids.clone();
        let protected = [5usize, 17];
        let labels = mask(&mut ids, &protected, &spec, &mut rng);
        for i in 0..64 {
            let special = [0, 101, 102].contains(&orig[i]) || protected.contains(&i);
            if special {
                assert_eq!((labels[i], ids[i]), (IGNORE, orig[i]), "position {i} touched");
                continue;
            }
            eligible += 1;
            if labels[i] != IGNORE {
                chosen += 1;
                assert_eq!(labels[i], orig[i]);
                masked += usize::from(ids[i] == 103);
                kept += usize::from(ids[i] == orig[i]);
            } else {
                assert_eq!(ids[i], orig[i]);
            }
        }
    }
    let rate = chosen as f64 / eligible as f64;
    let (m, k) = (masked as f64 / chosen as f64, kept as f64 / chosen as f64);
    assert!((rate - 0.15).abs() < 0.005, "chosen {rate}");
    assert!((m - 0.8).abs() < 0.01, "masked {m}");
    assert!((k - 0.1).abs() < 0.01, "kept {k}");
}
