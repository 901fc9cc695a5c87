//! `#[rpc_interface]` rejects every misuse with a clear error at the user's own code.

#[test]
fn macro_misuse_is_a_compile_error_at_the_users_span() {
    let t = trybuild::TestCases::new();
    t.pass("ui/pass_ok.rs");
    for case in [
        "not_async",
        "generic_method",
        "self_by_value",
        "mut_self",
        "no_self",
        "non_serde_argument",
        "reference_argument",
        "not_result",
        "default_body",
        "associated_type",
        "generic_trait",
        "bad_rename",
        "reserved_describe",
        "duplicate_wire_name",
        "error_type_not_convertible",
        "attribute_arguments",
    ] {
        t.compile_fail(format!("ui/{case}.rs"));
    }
}
