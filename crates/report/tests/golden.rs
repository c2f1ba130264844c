//! Golden snapshots of every format, for a representative image and an empty directory.
//! Review changes with `cargo insta review` (or `INSTA_UPDATE=always` and `git diff`).

mod common;

use common::{empty_inventory, fixed_options, image_inventory};
use kabuto_report::{Format, RenderOptions, render};
use kabuto_types::Inventory;

fn rendered(format: Format, inventory: &Inventory, options: &RenderOptions) -> String {
    let mut out = Vec::new();
    render(format, inventory, options, &mut out).expect("rendering to memory succeeds");
    String::from_utf8(out).expect("reports are UTF-8")
}

#[test]
fn image_reports() {
    let inventory = image_inventory();
    let options = fixed_options();
    for format in Format::ALL {
        insta::assert_snapshot!(
            format!("image_{format}"),
            rendered(format, &inventory, &options)
        );
    }
}

#[test]
fn empty_reports() {
    let inventory = empty_inventory();
    let options = fixed_options();
    for format in Format::ALL {
        insta::assert_snapshot!(
            format!("empty_{format}"),
            rendered(format, &inventory, &options)
        );
    }
}

#[test]
fn table_fits_an_80_column_terminal() {
    let options = fixed_options().with_table_width(Some(80));
    let table = rendered(Format::Table, &image_inventory(), &options);
    // Header and warning lines carry digests and paths whole; the tables must fit.
    let widest = table
        .lines()
        .filter(|l| l.starts_with(['┌', '│', '├', '└']))
        .map(|l| l.chars().count())
        .max();
    assert!(widest <= Some(80), "{table}");
    assert!(
        table.contains("│ 1:2.38.1-5+deb12u3 │"),
        "versions are cut last: {table}"
    );
    insta::assert_snapshot!("image_table_80_columns", table);
}

#[test]
fn output_does_not_depend_on_input_order() {
    let inventory = image_inventory();
    let mut reversed = inventory.clone();
    reversed.packages.reverse();
    let options = fixed_options();
    for format in Format::ALL {
        assert_eq!(
            rendered(format, &inventory, &options),
            rendered(format, &reversed, &options),
            "{format}"
        );
    }
}
