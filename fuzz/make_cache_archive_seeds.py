#!/usr/bin/env python3
"""Writes the seed corpus of the cache_archive fuzz target (fuzz/corpus/cache_archive/): small
tar archives compressed with zstd, as the cache writes them ("w/..." workspace, "h/..." cache
home), and hostile ones. Run again only to change the seeds: python3 fuzz/make_cache_archive_seeds.py
"""
import io
import os
import subprocess
import tarfile

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "cache_archive")


def entry(name, kind=tarfile.REGTYPE, data=b"", link="", mode=0o644):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.mtime = 1700000000
    info.linkname = link
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    return info, (io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def write(name, entries, compress=True):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in entries:
            tar.addfile(info, data)
    raw = buf.getvalue()
    if compress:
        raw = subprocess.run(["zstd", "-q", "-19", "--no-check", "-c"], input=raw,
                             stdout=subprocess.PIPE, check=True).stdout
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(raw)


def main():
    os.makedirs(OUT, exist_ok=True)
    D, R, S, L = tarfile.DIRTYPE, tarfile.REGTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE
    write("ordinary", [entry("w/target", D, mode=0o755), entry("w/target/a.o", R, b"obj"),
                       entry("h/.cargo", D, mode=0o755),
                       entry("h/.cargo/config.toml", R, b"[net]\n"),
                       entry("w/target/link", S, link="a.o"),
                       entry("w/target/hard", L, link="w/target/a.o")])
    write("unknown_prefix", [entry("x/file", R, b"skip"), entry("w", R, b"no slash")])
    write("dotdot", [entry("w/../../../../escaped", R, b"x"), entry("h/a/../../b", R, b"y")])
    write("absolute", [entry("/etc/raibid-fuzz", R, b"x"), entry("w//etc/raibid-fuzz", R, b"y")])
    write("symlink_out", [entry("w/out", S, link="../../.."), entry("w/out/escaped", R, b"x"),
                          entry("h/abs", S, link="/tmp"), entry("h/abs/raibid-fuzz", R, b"y")])
    write("hardlink_out", [entry("w/h1", L, link="w/../../../../entry.tar.zst"),
                           entry("h/h2", L, link="/etc/hostname")])
    # Restored as they are today (cache_archive.cc keeps every entry type and mode bit): a
    # character device, a fifo, a set-uid root file in an unreadable directory.
    null = entry("w/null", tarfile.CHRTYPE, mode=0o666)
    null[0].devmajor, null[0].devminor = 1, 3
    write("special", [entry("w/fifo", tarfile.FIFOTYPE), null, entry("w/dir", D, mode=0o000),
                      entry("w/dir/f", R, b"z", mode=0o4755)])
    write("uncompressed", [entry("w/plain", R, b"tar without zstd")], compress=False)
    with open(os.path.join(OUT, "truncated"), "wb") as f:
        with open(os.path.join(OUT, "ordinary"), "rb") as src:
            f.write(src.read()[:40])


if __name__ == "__main__":
    main()
