mod braces;
mod entities;
mod tags;
mod title;
pub use title::normalize_title;
mod links;
