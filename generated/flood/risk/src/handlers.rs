// Written once by svcgen from specs/flood.toml; this file is yours to edit (svcgen never rewrites it).

//! Handlers of the `risk` service: a simple, explainable flood risk model.

use crate::deps::Deps;
use crate::server::{Api, AssessError, Context};
use std::collections::BTreeMap;
use types::{Property, RiskAssessment, RiskBand};

/// The `risk` service.
pub struct Risk {}

impl Risk {
    /// The handlers, with their dependencies.
    pub fn new(_deps: Deps) -> Self {
        Self {}
    }
}

/// Contribution of each factor; the score is their sum, capped at 1.
fn factors(p: &Property) -> BTreeMap<String, f64> {
    let mut f = BTreeMap::new();
    // Postcodes starting with "FL" lie in the modelled flood plain.
    let plain = if p.location.postcode.to_ascii_uppercase().starts_with("FL") {
        0.6
    } else {
        0.1
    };
    f.insert("flood_plain".to_owned(), plain);
    f.insert(
        "basement".to_owned(),
        if p.has_basement { 0.15 } else { 0.0 },
    );
    let age = f64::from((2026 - p.year_built).clamp(0, 200)) / 200.0 * 0.1;
    f.insert("age".to_owned(), age);
    let low_lying = if p.location.latitude.abs() < 10.0 {
        0.1
    } else {
        0.0
    };
    f.insert("low_latitude".to_owned(), low_lying);
    f
}

impl Api for Risk {
    async fn assess(&self, _cx: Context, body: Property) -> Result<RiskAssessment, AssessError> {
        let factors = factors(&body);
        let score = factors.values().sum::<f64>().min(1.0);
        let band = match score {
            s if s < 0.25 => RiskBand::Low,
            s if s < 0.5 => RiskBand::Medium,
            s if s < 0.8 => RiskBand::High,
            _ => RiskBand::Extreme,
        };
        Ok(RiskAssessment {
            score,
            band,
            factors,
        })
    }
}
