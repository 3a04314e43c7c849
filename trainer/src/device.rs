//! `--device cpu|cuda|cuda:N`, validated up front so a missing GPU fails before any work.
use tch::Device;

use crate::error::TrainerError;

/// Parses a device name. `cuda` means `cuda:0`. A CUDA device that libtorch cannot see is an
/// error naming the reason (no driver, or a binary built without `--features cuda`).
pub fn parse_device(name: &str) -> Result<Device, TrainerError> {
    let err = |msg: &str| TrainerError::Device(name.to_string(), msg.to_string());
    let device = match name.trim() {
        "cpu" => return Ok(Device::Cpu),
        "cuda" => Device::Cuda(0),
        other => match other.strip_prefix("cuda:").map(str::parse::<usize>) {
            Some(Ok(n)) => Device::Cuda(n),
            _ => return Err(err("expected cpu, cuda or cuda:N")),
        },
    };
    let count = tch::Cuda::device_count();
    match device {
        Device::Cuda(n) if (n as i64) < count => Ok(device),
        _ if count == 0 => Err(err(
            "libtorch sees no CUDA device (no GPU, or a trainer built without --features cuda)",
        )),
        _ => Err(err(&format!("only {count} CUDA device(s) visible"))),
    }
}

/// A short human description, for run directories and logs.
pub fn describe(device: Device) -> String {
    match device {
        Device::Cpu => format!("cpu ({} threads)", tch::get_num_threads()),
        Device::Cuda(n) => format!("cuda:{n}"),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cpu_and_rejects_garbage() {
        assert_eq!(parse_device("cpu").unwrap(), Device::Cpu);
        assert!(parse_device("gpu").is_err());
        assert!(parse_device("cuda:x").is_err());
    }

    #[test]
    fn cuda_without_device_is_a_clear_error() {
        if tch::Cuda::device_count() == 0 {
            let msg = parse_device("cuda").unwrap_err().to_string();
            assert!(msg.contains("no CUDA device"), "{msg}");
        }
    }
}
