"""The stream names of an OLE2 compound file (legacy .xls, Word .doc, a password-encrypted
.xlsx), read from its directory: the guard needs only the names, not an OLE library."""

from __future__ import annotations

import struct

_END = 0xFFFFFFFA  # sector numbers from here up are markers (end of chain, free, ...)


def entry_names(data: bytes) -> set[str]:
    """Names (lower case) of the directory entries, following the directory chain through
    the FAT. Raises ValueError or struct.error on a damaged header or chain."""
    if len(data) < 512:
        raise ValueError("short OLE header")
    shift = struct.unpack_from("<H", data, 30)[0]
    if shift not in (9, 12):
        raise ValueError("bad sector size")
    sector = 1 << shift
    fat_sectors = [s for s in struct.unpack_from("<109I", data, 76) if s < _END]
    per_fat = sector // 4
    max_sectors = len(data) // sector + 1

    def next_sector(index: int) -> int:
        fat_index = index // per_fat
        if fat_index >= len(fat_sectors):
            raise ValueError("FAT entry beyond the header's FAT list")
        return struct.unpack_from(
            "<I", data, (fat_sectors[fat_index] + 1) * sector + (index % per_fat) * 4)[0]

    names: set[str] = set()
    current, seen = struct.unpack_from("<I", data, 48)[0], set()
    while current < _END:
        if current in seen:
            raise ValueError("loop in the directory chain")
        if current >= max_sectors:
            raise ValueError("sector out of range")
        seen.add(current)
        block = data[(current + 1) * sector:(current + 2) * sector]
        for off in range(0, len(block) - 127, 128):
            length, kind = struct.unpack_from("<HB", block, off + 64)
            if kind in (1, 2) and 2 <= length <= 64:
                names.add(block[off:off + length - 2].decode("utf-16-le", "replace").lower())
        current = next_sector(current)
    return names


def names_by_scan(data: bytes) -> set[str]:
    """Fallback for a damaged directory chain: look for the stream names anywhere."""
    return {wanted.lower() for wanted in ("EncryptionInfo", "EncryptedPackage", "Workbook")
            if wanted.encode("utf-16-le") in data}
