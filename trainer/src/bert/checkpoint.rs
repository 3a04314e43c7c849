//! Loading and saving BERT checkpoints in the Hugging Face directory layout
//! (`config.json` + `model.safetensors`).
//!
//! Names are accepted with or without the `bert.` prefix (BertModel vs BertForPreTraining
//! exports), and TF-era `gamma`/`beta` LayerNorm names are mapped to `weight`/`bias`.
//! Tensors that the encoder does not own (`cls.predictions.*`, ...) are returned to the
//! caller so that task heads can pick them up.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tch::{nn, Device, Kind, Tensor};

use super::config::BertConfig;
use super::model::BertModel;
use crate::error::TrainerError;

/// A BERT encoder with its variables.
pub struct LoadedBert {
    pub vs: nn::VarStore,
    pub model: BertModel,
    pub config: BertConfig,
    /// Tensors of the file the encoder did not consume, keyed by their name in the file.
    pub extra: BTreeMap<String, Tensor>,
    pub dir: PathBuf,
}

fn canonical_name(name: &str) -> String {
    let name = name.strip_prefix("bert.").unwrap_or(name);
    if let Some(stem) = name.strip_suffix(".gamma") {
        format!("{stem}.weight")
    } else if let Some(stem) = name.strip_suffix(".beta") {
        format!("{stem}.bias")
    } else {
        name.to_string()
    }
}

/// Loads `dir/config.json` and `dir/model.safetensors` onto `device`, in fp32.
pub fn load(dir: &Path, device: Device) -> Result<LoadedBert, TrainerError> {
    let config = BertConfig::from_file(&dir.join("config.json"))?;
    let weights = dir.join("model.safetensors");
    if !weights.exists() {
        let msg = if dir.join("pytorch_model.bin").exists() {
            "only model.safetensors is supported; convert pytorch_model.bin with \
             `transformers` (model.save_pretrained(dir, safe_serialization=True))"
        } else {
            "model.safetensors not found"
        };
        return Err(TrainerError::Checkpoint { path: dir.to_path_buf(), msg: msg.into() });
    }
    let mut tensors: BTreeMap<String, (String, Tensor)> = BTreeMap::new();
    for (name, t) in Tensor::read_safetensors(&weights)? {
        tensors.insert(canonical_name(&name), (name, t));
    }
    let with_pooler = tensors.contains_key("pooler.dense.weight");
    let vs = nn::VarStore::new(device);
    let model = BertModel::new(&vs.root(), &config, with_pooler);
    tch::no_grad(|| -> Result<(), TrainerError> {
        for (name, var) in vs.variables().iter_mut() {
            let Some((_, src)) = tensors.remove(name) else {
                return Err(TrainerError::Checkpoint {
                    path: weights.clone(),
                    msg: format!("tensor {name} is missing"),
                });
            };
            if src.size() != var.size() {
                return Err(TrainerError::Checkpoint {
                    path: weights.clone(),
                    msg: format!(
                        "tensor {name}: shape {:?}, expected {:?}",
                        src.size(),
                        var.size()
                    ),
                });
            }
            var.f_copy_(&src.to_kind(Kind::Float))?;
        }
        Ok(())
    })?;
    let extra = tensors.into_values().filter(|(name, _)| !name.ends_with("position_ids")).collect();
    Ok(LoadedBert { vs, model, config, extra, dir: dir.to_path_buf() })
}

/// Writes `config.json` and `model.safetensors` (names with the `bert.` prefix, plus `heads`
/// as given) so that `transformers.BertModel.from_pretrained(dir)` loads the encoder.
/// Files are written under temporary names and renamed when complete.
pub fn save(
    vs: &nn::VarStore,
    config: &BertConfig,
    heads: &[(String, Tensor)],
    dir: &Path,
) -> Result<(), TrainerError> {
    std::fs::create_dir_all(dir)
        .map_err(|source| TrainerError::Io { path: dir.to_path_buf(), source })?;
    let mut named: Vec<(String, Tensor)> = vs
        .variables()
        .into_iter()
        .filter(|(name, _)| !heads.iter().any(|(h, _)| h == name))
        .map(|(name, t)| {
            // Encoder tensors get BertForPreTraining's `bert.` prefix; heads keep their names.
            let name = if name.starts_with("cls.") { name } else { format!("bert.{name}") };
            (name, t.to_device(Device::Cpu).contiguous())
        })
        .collect();
    named.extend(heads.iter().map(|(n, t)| (n.clone(), t.to_device(Device::Cpu).contiguous())));
    named.sort_by(|a, b| a.0.cmp(&b.0));
    let tmp = dir.join("model.safetensors.tmp");
    Tensor::write_safetensors(&named, &tmp)?;
    let mut json = serde_json::to_value(config)
        .map_err(|source| TrainerError::Json { path: dir.join("config.json"), source })?;
    json["model_type"] = "bert".into();
    json["architectures"] = serde_json::json!(["BertForPreTraining"]);
    let text = serde_json::to_string_pretty(&json)
        .map_err(|source| TrainerError::Json { path: dir.join("config.json"), source })?;
    let io = |path: PathBuf| move |source| TrainerError::Io { path, source };
    std::fs::write(dir.join("config.json.tmp"), text).map_err(io(dir.join("config.json.tmp")))?;
    std::fs::rename(&tmp, dir.join("model.safetensors")).map_err(io(tmp.clone()))?;
    std::fs::rename(dir.join("config.json.tmp"), dir.join("config.json"))
        .map_err(io(dir.join("config.json")))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::canonical_name;

    #[test]
    fn names_map_to_the_unprefixed_hf_layout() {
        for (given, want) in [
            ("bert.embeddings.word_embeddings.weight", "embeddings.word_embeddings.weight"),
            ("embeddings.word_embeddings.weight", "embeddings.word_embeddings.weight"),
            ("bert.embeddings.LayerNorm.gamma", "embeddings.LayerNorm.weight"),
            ("encoder.layer.0.output.LayerNorm.beta", "encoder.layer.0.output.LayerNorm.bias"),
            ("cls.predictions.bias", "cls.predictions.bias"),
        ] {
            assert_eq!(canonical_name(given), want, "{given}");
        }
    }
}
