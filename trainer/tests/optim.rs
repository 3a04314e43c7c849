//! AdamW + clipping + schedule against torch.optim.AdamW / clip_grad_norm_ / LambdaLR
//! (tests/reference/adamw_reference.py), and save/load of the optimizer state.
use std::path::Path;

use tch::{Kind, Tensor};
use trainer::optim::{clip_grad_norm, linear_schedule, AdamW, AdamWConfig};

fn reference() -> serde_json::Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/reference/adamw_reference.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn tensor(v: &serde_json::Value) -> Tensor {
    fn flat(v: &serde_json::Value, out: &mut Vec<f64>, shape: &mut Vec<i64>, depth: usize) {
        match v {
            serde_json::Value::Array(a) => {
                if shape.len() == depth {
                    shape.push(a.len() as i64);
                }
                a.iter().for_each(|x| flat(x, out, shape, depth + 1));
            }
            x => out.push(x.as_f64().unwrap()),
        }
    }
    let (mut out, mut shape) = (Vec::new(), Vec::new());
    flat(v, &mut out, &mut shape, 0);
    Tensor::from_slice(&out).view(shape.as_slice())
}

const NAMES: [&str; 3] = ["layer.weight", "layer.bias", "LayerNorm.weight"];

fn params(r: &serde_json::Value) -> Vec<(String, Tensor)> {
    NAMES.iter().map(|n| (n.to_string(), tensor(&r["init"][n]).set_requires_grad(true))).collect()
}

/// Sets each parameter's gradient to exactly `g` (the gradient of sum(p * g)).
fn set_grads(ps: &[(String, Tensor)], r: &serde_json::Value, k: usize) {
    for (n, p) in ps {
        let mut p = p.shallow_clone();
        p.zero_grad();
        (&p * tensor(&r["grads"][k][n])).sum(Kind::Double).backward();
    }
}

fn run(
    r: &serde_json::Value,
    ps: &[(String, Tensor)],
    opt: &mut AdamW,
    steps: std::ops::Range<usize>,
) -> Vec<f64> {
    let (lr, warmup, total, clip) = (
        r["lr"].as_f64().unwrap(),
        r["warmup"].as_i64().unwrap(),
        r["total"].as_i64().unwrap(),
        r["clip"].as_f64().unwrap(),
    );
    let mut norms = Vec::new();
    for k in steps {
        set_grads(ps, r, k);
        norms.push(clip_grad_norm(ps, clip));
        opt.step(ps, lr * linear_schedule(k as i64, warmup, total));
    }
    norms
}

fn config(r: &serde_json::Value) -> AdamWConfig {
    AdamWConfig {
        lr: r["lr"].as_f64().unwrap(),
        weight_decay: r["weight_decay"].as_f64().unwrap(),
        ..Default::default()
    }
}

#[test]
fn five_steps_equal_pytorch() {
    let r = reference();
    let ps = params(&r);
    let mut opt = AdamW::new(config(&r));
    let norms = run(&r, &ps, &mut opt, 0..5);
    let want: Vec<f64> = serde_json::from_value(r["norms"].clone()).unwrap();
    for (a, b) in norms.iter().zip(&want) {
        assert!((a - b).abs() < 1e-9, "grad norm {a} vs {b}");
    }
    for (n, p) in &ps {
        let diff = (p - tensor(&r["final"][n])).abs().max().double_value(&[]);
        assert!(diff < 1e-12, "{n}: max diff {diff}");
    }
}

#[test]
fn saved_state_resumes_to_the_same_parameters() {
    let r = reference();
    let straight = params(&r);
    run(&r, &straight, &mut AdamW::new(config(&r)), 0..5);
    let resumed = params(&r);
    let mut opt = AdamW::new(config(&r));
    run(&r, &resumed, &mut opt, 0..2);
    let dir = tempfile::tempdir().unwrap();
    opt.save(dir.path()).unwrap();
    let mut opt = AdamW::load(config(&r), dir.path(), tch::Device::Cpu).unwrap();
    assert_eq!(opt.step, 2);
    run(&r, &resumed, &mut opt, 2..5);
    for ((n, a), (_, b)) in straight.iter().zip(&resumed) {
        assert!(a.equal(b), "{n} differs after resume");
    }
}
