//! Unit tests of the pieces that later stages build on, against hand-computed values.
use tch::{nn, Device, Kind, Tensor};

use super::{entity_start_states, mean_pool, Batch, BertConfig, BertModel};

#[test]
fn entity_start_states_gathers_the_two_marker_rows() {
    // hidden[b, s, :] = [100 b + s, -(100 b + s)]
    let hidden = Tensor::from_slice(&[
        0f32, -0., 1., -1., 2., -2., //
        100., -100., 101., -101., 102., -102.,
    ])
    .view([2, 3, 2]);
    let pos = Tensor::from_slice(&[2i64, 0, 1, 2]).view([2, 2]);
    let got: Vec<f32> = Vec::try_from(entity_start_states(&hidden, &pos).flatten(0, -1)).unwrap();
    assert_eq!(got, vec![2., -2., 0., -0., 101., -101., 102., -102.]);
}

#[test]
fn mean_pool_ignores_padding() {
    let hidden = Tensor::from_slice(&[1f32, 3., 100.]).view([1, 3, 1]);
    let mask = Tensor::from_slice(&[1i64, 1, 0]).view([1, 3]);
    assert_eq!(mean_pool(&hidden, &mask).double_value(&[0, 0]), 2.0);
}

#[test]
fn padding_does_not_change_real_tokens_and_dropout_is_off_in_eval() {
    tch::manual_seed(7);
    let vs = nn::VarStore::new(Device::Cpu);
    let model = BertModel::new(&vs.root(), &BertConfig::tiny(50), false);
    let one = crate::tokenize::pad_batch(&[vec![2, 5, 7, 3]], 0, Device::Cpu);
    let padded =
        crate::tokenize::pad_batch(&[vec![2, 5, 7, 3], vec![2, 9, 9, 9, 9, 9, 3]], 0, Device::Cpu);
    let a = model.forward(&one, false);
    let b = model.forward(&padded, false).narrow(0, 0, 1).narrow(1, 0, 4);
    assert!(a.allclose(&b, 1e-5, 1e-6, false));
    assert!(a.allclose(&model.forward(&one, false), 0.0, 0.0, false), "eval is deterministic");
    let t1 = model.forward(&one, true);
    let t2 = model.forward(&one, true);
    assert!(!t1.allclose(&t2, 1e-6, 1e-6, false), "train mode applies dropout");
    let _: &Batch = &one;
    assert_eq!(a.kind(), Kind::Float);
}
