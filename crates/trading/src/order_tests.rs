use super::*;

#[test]
fn placeholder_compiles() {
    let _ = std::any::type_name::<Side>();
}
