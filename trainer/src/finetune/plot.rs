//! The report as a PNG: one group of bars per run, this run's median test score next to the
//! paper's BERT / MTB / CP numbers for the same cell (when the paper has one).
use std::path::Path;

use plotters::prelude::*;
use plotters::style::FontStyle;

use super::report::paper;
use super::train::Summary;
use crate::error::TrainerError;

const FONT: &str = "wikirel-sans";

fn fail(path: &Path) -> impl Fn(String) -> TrainerError + '_ {
    move |msg| TrainerError::Data { path: path.to_path_buf(), msg: format!("drawing: {msg}") }
}

/// Writes the bar chart of `runs` to `path`.
pub fn bars(runs: &[(String, Summary)], path: &Path) -> Result<(), TrainerError> {
    let err = fail(path);
    // Registering the same name twice only replaces the font: harmless.
    plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular())
        .map_err(|_| err("the embedded font did not load".into()))?;
    let series: [(&str, RGBColor); 4] = [
        ("this run (median test)", RGBColor(31, 119, 180)),
        ("paper BERT", RGBColor(180, 180, 180)),
        ("paper MTB", RGBColor(140, 140, 140)),
        ("paper CP", RGBColor(90, 90, 90)),
    ];
    let width = (160 * runs.len() as u32).max(640) + 120;
    let root = BitMapBackend::new(path, (width, 520)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
    let groups = runs.len() as f64;
    let mut chart = ChartBuilder::on(&root)
        .caption("fine-tuning: test score (%)", (FONT, 22))
        .margin(16)
        .x_label_area_size(70)
        .y_label_area_size(50)
        .build_cartesian_2d(0.0..groups, 0.0..100.0)
        .map_err(|e| err(e.to_string()))?;
    let names: Vec<String> = runs
        .iter()
        .map(|(_, r)| format!("{} {}% {}", r.task.name(), 100.0 * r.train_ratio, r.mode.name()))
        .collect();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(runs.len().max(1))
        .x_label_formatter(&|x| {
            let i = x.floor() as usize;
            names.get(i).cloned().unwrap_or_default()
        })
        .x_label_style((FONT, 13))
        .y_label_style((FONT, 13))
        .y_desc("%")
        .draw()
        .map_err(|e| err(e.to_string()))?;
    let bar = 0.8 / series.len() as f64;
    for (s, (label, color)) in series.iter().enumerate() {
        let mut rects = Vec::new();
        for (g, (_, r)) in runs.iter().enumerate() {
            let value = if s == 0 {
                Some(r.median_test)
            } else {
                paper(r.task, r.train_ratio, r.mode).map(|p| p[s - 1])
            };
            if let Some(v) = value {
                let x0 = g as f64 + 0.1 + s as f64 * bar;
                rects
                    .push(Rectangle::new([(x0, 0.0), (x0 + bar * 0.9, 100.0 * v)], color.filled()));
            }
        }
        let color = *color;
        chart
            .draw_series(rects)
            .map_err(|e| err(e.to_string()))?
            .label(*label)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
    }
    chart
        .configure_series_labels()
        .label_font((FONT, 13))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(|e| err(e.to_string()))?;
    root.present().map_err(|e| err(e.to_string()))?;
    Ok(())
}
