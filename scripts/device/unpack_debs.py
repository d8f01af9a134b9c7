"""Unpacks every .deb of a folder into one prefix folder, with the standard library alone.

scripts/device-check runs this on the GPU machine, which may have no dpkg: a .deb is an ar
archive whose data.tar.{xz,gz,bz2} member holds the files under ./usr/...

    python3 scripts/device/unpack_debs.py DEB_FOLDER PREFIX
"""
from __future__ import annotations

import io
import sys
import tarfile
from pathlib import Path


def data_member(deb: Path) -> tuple[str, bytes]:
    blob = deb.read_bytes()
    if not blob.startswith(b"!<arch>\n"):
        raise ValueError(f"{deb}: not a .deb (no ar header)")
    offset = 8
    while offset + 60 <= len(blob):
        header = blob[offset:offset + 60]
        name = header[:16].decode().strip().rstrip("/")
        size = int(header[48:58].decode().strip())
        body = blob[offset + 60:offset + 60 + size]
        if name.startswith("data.tar"):
            return name, body
        offset += 60 + size + (size % 2)  # members are 2-byte aligned
    raise ValueError(f"{deb}: no data.tar member")


def unpack(deb: Path, prefix: Path) -> int:
    name, body = data_member(deb)
    if name.endswith(".zst"):
        raise ValueError(f"{deb}: {name} is zstd-compressed, which Python's tarfile cannot read")
    count = 0
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:*") as tar:
        for member in tar.getmembers():
            if member.isdev():
                continue
            tar.extract(member, prefix, filter="tar") if hasattr(tarfile, "data_filter") else tar.extract(member, prefix)
            count += 1
    return count


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    folder, prefix = Path(argv[1]), Path(argv[2])
    debs = sorted(folder.glob("*.deb"))
    if not debs:
        print(f"unpack_debs: no .deb in {folder} (run scripts/device-pack first)", file=sys.stderr)
        return 2
    prefix.mkdir(parents=True, exist_ok=True)
    total = 0
    for deb in debs:
        try:
            total += unpack(deb, prefix)
        except (ValueError, tarfile.TarError, OSError) as e:
            print(f"unpack_debs: {e}", file=sys.stderr)
            return 2
    print(f"unpack_debs: {len(debs)} packages, {total} entries into {prefix}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
