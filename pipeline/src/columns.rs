//! Small helpers that turn row vectors into Arrow columns of the contract's types (list items
//! are non-nullable, as `schemas` declares them).
use std::sync::Arc;

use arrow::array::{ArrayRef, ListArray, ListBuilder, PrimitiveArray, StringArray, StringBuilder};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{ArrowPrimitiveType, DataType, Field, FieldRef, Fields, Schema, UInt32Type};

pub fn strings<S: AsRef<str>>(values: &[S]) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(values.iter().map(AsRef::as_ref)))
}

pub fn opt_strings(values: &[Option<String>]) -> ArrayRef {
    Arc::new(StringArray::from_iter(values.iter().map(|v| v.as_deref())))
}

pub fn string_lists(values: &[Vec<String>]) -> ArrayRef {
    let mut b = ListBuilder::new(StringBuilder::new())
        .with_field(Arc::new(Field::new_list_field(DataType::Utf8, false)));
    for row in values {
        for v in row {
            b.values().append_value(v);
        }
        b.append(true);
    }
    Arc::new(b.finish())
}

/// `list<T>` (non-nullable items) of a primitive type from row vectors.
pub fn primitive_lists<T: ArrowPrimitiveType>(values: &[Vec<T::Native>]) -> ArrayRef {
    let offsets = offsets(values.iter().map(Vec::len));
    let flat = PrimitiveArray::<T>::from_iter_values(values.iter().flatten().copied());
    list(Arc::new(flat), offsets)
}

/// `list<uint32>` (non-nullable items) from row vectors.
pub fn u32_lists(values: &[Vec<u32>]) -> ArrayRef {
    primitive_lists::<UInt32Type>(values)
}

/// The list column (non-nullable items) whose row `i` is `values[offsets[i]..offsets[i + 1]]`.
pub fn list(values: ArrayRef, offsets: OffsetBuffer<i32>) -> ArrayRef {
    let item = Arc::new(Field::new_list_field(values.data_type().clone(), false));
    Arc::new(ListArray::new(item, offsets, values, None))
}

/// List offsets for rows of the given lengths.
pub fn offsets(lens: impl Iterator<Item = usize>) -> OffsetBuffer<i32> {
    OffsetBuffer::from_lengths(lens)
}

/// The item field and struct fields of a `list<struct<...>>` column of `schema`.
pub fn list_struct_fields(schema: &Schema, column: &str) -> (FieldRef, Fields) {
    let field = schema.field_with_name(column).expect("column in schema");
    let DataType::List(item) = field.data_type() else { panic!("{column} is not a list") };
    let DataType::Struct(fields) = item.data_type() else { panic!("{column} items not structs") };
    (item.clone(), fields.clone())
}
