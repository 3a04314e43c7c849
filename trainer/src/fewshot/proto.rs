//! Prototypical-network logits: each class's prototype is the mean of its K support
//! representations; a query's logit for a class is the dot product with the prototype (the
//! paper's code) or the negative squared Euclidean distance (Snell et al. 2017).
use tch::Tensor;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Distance {
    Dot,
    Euclidean,
}

/// `support`: [N*K, d] class by class; `query`: [M, d]. Returns [M, N] logits.
pub fn logits(support: &Tensor, query: &Tensor, n: i64, k: i64, distance: Distance) -> Tensor {
    let d = support.size()[1];
    let protos = support.view([n, k, d]).mean_dim(1, false, support.kind());
    match distance {
        Distance::Dot => query.matmul(&protos.transpose(0, 1)),
        Distance::Euclidean => {
            let diff = query.unsqueeze(1) - protos.unsqueeze(0);
            -(&diff * &diff).sum_dim_intlist(2, false, support.kind())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_two_way_two_shot() {
        // Class 0 support (1,0),(3,2) -> prototype (2,1); class 1 support (0,1),(0,3) -> (0,2).
        let support = Tensor::from_slice(&[1.0, 0.0, 3.0, 2.0, 0.0, 1.0, 0.0, 3.0]).view([4, 2]);
        let query = Tensor::from_slice(&[1.0, 1.0, 2.0, 0.0]).view([2, 2]);
        let dot: Vec<f64> =
            Vec::try_from(logits(&support, &query, 2, 2, Distance::Dot).view([-1])).unwrap();
        assert_eq!(dot, vec![3.0, 2.0, 4.0, 0.0]);
        let euc: Vec<f64> =
            Vec::try_from(logits(&support, &query, 2, 2, Distance::Euclidean).view([-1])).unwrap();
        // (1,1): to (2,1) 1, to (0,2) 2; (2,0): to (2,1) 1, to (0,2) 8.
        assert_eq!(euc, vec![-1.0, -2.0, -1.0, -8.0]);
    }
}
