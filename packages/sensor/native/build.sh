#!/bin/sh
# `npm run build:native`: builds peregrine-capture when the toolchain is here, else says why in
# one line and succeeds (the sensor then uses bpftrace or /proc polling).
cd "$(dirname "$0")" || exit 1
missing=""
command -v clang >/dev/null 2>&1 || missing="$missing clang"
command -v bpftool >/dev/null 2>&1 || [ -x /usr/sbin/bpftool ] || missing="$missing bpftool"
command -v make >/dev/null 2>&1 || missing="$missing make"
command -v cc >/dev/null 2>&1 || missing="$missing cc"
[ -f /usr/include/bpf/libbpf.h ] || missing="$missing libbpf-dev"
[ -f /usr/include/libelf.h ] || missing="$missing libelf-dev"
[ -f /usr/include/zlib.h ] || missing="$missing zlib1g-dev"
[ -r /sys/kernel/btf/vmlinux ] || missing="$missing kernel-BTF(/sys/kernel/btf/vmlinux)"
if [ -n "$missing" ]; then
  echo "peregrine-capture not built (missing:$missing); the sensor will use bpftrace or /proc"
  exit 0
fi
# The package's build and its test task both run this, and turbo may start them together: two
# makes writing the same temporary and object files broke a CI run (mv: cannot stat ...tmp).
# One make at a time; the second then finds everything built.
mkdir -p build
if command -v flock >/dev/null 2>&1; then
  exec flock build/.make.lock make -s
fi
exec make -s
