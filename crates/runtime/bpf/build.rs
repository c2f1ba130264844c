//! Builds the eBPF programs (src/bpf/kabuto.bpf.c) with clang into an embedded libbpf
//! skeleton. vmlinux.h is generated here, into OUT_DIR, by `bpftool btf dump` from the build
//! machine's kernel BTF (/sys/kernel/btf/vmlinux, or KABUTO_VMLINUX_BTF): it is 130,000 lines
//! that would go stale in git, and CO-RE relocates the programs against the running kernel's
//! own BTF at load anyway, so the build machine's kernel only has to have the fields used.
//! Needs clang and bpftool (scripts/setup-runtime.sh installs them).

use std::path::PathBuf;
use std::process::Command;

use libbpf_cargo::SkeletonBuilder;

const SOURCE: &str = "src/bpf/kabuto.bpf.c";

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let btf = std::env::var("KABUTO_VMLINUX_BTF")
        .unwrap_or_else(|_| "/sys/kernel/btf/vmlinux".to_owned());
    let dump = Command::new("bpftool")
        .args(["btf", "dump", "file", &btf, "format", "c"])
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run bpftool to generate vmlinux.h ({e}): run scripts/setup-runtime.sh as root")
        });
    assert!(
        dump.status.success(),
        "bpftool btf dump file {btf} failed: {}",
        String::from_utf8_lossy(&dump.stderr)
    );
    std::fs::write(out.join("vmlinux.h"), &dump.stdout).expect("write vmlinux.h");
    let arch = match std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() {
        Ok("aarch64") => "arm64",
        _ => "x86",
    };
    SkeletonBuilder::new()
        .source(SOURCE)
        .clang_args([
            "-I".into(),
            out.clone().into_os_string(),
            "-I".into(),
            "src/bpf".into(),
            format!("-D__TARGET_ARCH_{arch}").into(),
        ])
        .build_and_generate(out.join("kabuto.skel.rs"))
        .expect("build the eBPF skeleton");
    println!("cargo:rerun-if-changed={SOURCE}");
    println!("cargo:rerun-if-changed=src/bpf/kabuto.h");
    println!("cargo:rerun-if-env-changed=KABUTO_VMLINUX_BTF");
}
