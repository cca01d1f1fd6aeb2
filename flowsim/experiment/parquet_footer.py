"""Parquet files joined without decoding them: their row groups copied byte for byte, one footer.

A Parquet file is ``PAR1``, the column chunks (and any page indexes), a footer (Thrift compact
encoding of ``FileMetaData``), its length and ``PAR1``. Files written with the same schema and
options are joined by copying each file's middle part after the previous one's and writing one
footer that lists every row group, with each byte offset moved by where its file's part now starts.
Nothing is decompressed or re-encoded, so joining costs a file copy, not a read and a write.

The footer is decoded generically (field ids, types and values, in their order) and encoded back
the same way; only the offsets, the row group ordinals and the row count are changed. Reference:
the Parquet format's ``parquet.thrift`` and Thrift's compact protocol specification.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

__all__ = ["MAGIC", "Footer", "FooterError", "append_part", "read_footer", "write_footer"]

MAGIC = b"PAR1"
# Compact protocol types
_TRUE, _FALSE, _BYTE, _I16, _I32, _I64, _DOUBLE, _BINARY, _LIST, _SET, _MAP, _STRUCT = range(1, 13)
# Field ids in parquet.thrift of the byte offsets a joined file must move (all i64)
_FILE_ROW_GROUPS, _FILE_NUM_ROWS = 4, 3
_GROUP_COLUMNS, _GROUP_NUM_ROWS, _GROUP_FILE_OFFSET, _GROUP_ORDINAL = 1, 3, 5, 7
# file_offset (Arrow writes 0, "not set", which stays 0), offset_index_offset, column_index_offset
_CHUNK_OFFSETS = {2, 4, 6}
_CHUNK_META = 3
_META_OFFSETS = {9, 10, 11, 14}  # data_page, index_page, dictionary_page, bloom_filter offsets
_FILE_ENCRYPTION, _CHUNK_ENCRYPTION = 8, {8, 9}  # encrypted columns: not joined here
# What must be the same in every file joined (version, schema, key-value metadata, column orders)
_SHARED = (1, 2, 5, 7)


class FooterError(ValueError):
    """The file is not a plain (unencrypted) Parquet file this module can read."""


# A struct is a list of [field id, type, value]; a list is (element type, [values]).
Struct = list[list[Any]]


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def _zigzag(value: int) -> int:
    return (value >> 1) ^ -(value & 1)


def _value(data: bytes, pos: int, kind: int) -> tuple[Any, int]:
    if kind in (_TRUE, _FALSE):  # a list element: one byte
        return data[pos] == _TRUE, pos + 1
    if kind == _BYTE:
        return struct.unpack_from("b", data, pos)[0], pos + 1
    if kind in (_I16, _I32, _I64):
        raw, pos = _varint(data, pos)
        return _zigzag(raw), pos
    if kind == _DOUBLE:
        return struct.unpack_from("<d", data, pos)[0], pos + 8
    if kind == _BINARY:
        size, pos = _varint(data, pos)
        return data[pos:pos + size], pos + size
    if kind in (_LIST, _SET):
        header = data[pos]
        pos += 1
        size, element = header >> 4, header & 0x0F
        if size == 15:
            size, pos = _varint(data, pos)
        values = []
        for _ in range(size):
            value, pos = _value(data, pos, element)
            values.append(value)
        return (element, values), pos
    if kind == _STRUCT:
        return _struct(data, pos)
    raise FooterError(f"unsupported Thrift type {kind}")  # maps: none in a Parquet footer


def _struct(data: bytes, pos: int) -> tuple[Struct, int]:
    fields: Struct = []
    last = 0
    while True:
        header = data[pos]
        pos += 1
        if header == 0:
            return fields, pos
        kind, delta = header & 0x0F, header >> 4
        if delta:
            field = last + delta
        else:
            raw, pos = _varint(data, pos)
            field = _zigzag(raw)
        if kind in (_TRUE, _FALSE):
            value = kind == _TRUE
        else:
            value, pos = _value(data, pos, kind)
        fields.append([field, kind, value])
        last = field


def _put_varint(out: bytearray, value: int) -> None:
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def _put_value(out: bytearray, kind: int, value: Any) -> None:
    if kind in (_TRUE, _FALSE):
        out.append(_TRUE if value else _FALSE)
    elif kind == _BYTE:
        out += struct.pack("b", value)
    elif kind in (_I16, _I32, _I64):
        _put_varint(out, (value << 1) ^ (value >> 63))
    elif kind == _DOUBLE:
        out += struct.pack("<d", value)
    elif kind == _BINARY:
        _put_varint(out, len(value))
        out += value
    elif kind in (_LIST, _SET):
        element, values = value
        if len(values) < 15:
            out.append(len(values) << 4 | element)
        else:
            out.append(0xF0 | element)
            _put_varint(out, len(values))
        for item in values:
            _put_value(out, element, item)
    else:
        _put_struct(out, value)


def _put_struct(out: bytearray, fields: Struct) -> None:
    last = 0
    for field, kind, value in fields:
        type_nibble = (_TRUE if value else _FALSE) if kind in (_TRUE, _FALSE) else kind
        if 0 < field - last <= 15:
            out.append((field - last) << 4 | type_nibble)
        else:
            out.append(type_nibble)
            _put_varint(out, (field << 1) ^ (field >> 63))
        if kind not in (_TRUE, _FALSE):
            _put_value(out, kind, value)
        last = field
    out.append(0)


def _field(fields: Struct, field: int) -> list[Any] | None:
    return next((entry for entry in fields if entry[0] == field), None)


@dataclass
class Footer:
    """A Parquet file's decoded footer and where its row groups' bytes lie (``[4, data_end)``)."""

    fields: Struct
    data_end: int

    def shared(self) -> bytes:
        """The encoded fields every joined file must share (schema, key-value metadata, ...)."""
        out = bytearray()
        _put_struct(out, [entry for entry in self.fields if entry[0] in _SHARED])
        return bytes(out)

    def row_groups(self) -> list[Struct]:
        """The decoded ``RowGroup`` structs, in file order."""
        entry = _field(self.fields, _FILE_ROW_GROUPS)
        return [] if entry is None else entry[2][1]


def read_footer(path: str | Path) -> Footer:
    """Decode the footer of the Parquet file at ``path``."""
    with open(path, "rb") as source:
        source.seek(0, 2)
        size = source.tell()
        if size < 12:
            raise FooterError(f"{path}: too short for a Parquet file")
        source.seek(size - 8)
        tail = source.read(8)
        if tail[4:] != MAGIC:  # b"PARE": an encrypted footer
            raise FooterError(f"{path}: not a plain Parquet file")
        length = struct.unpack("<i", tail[:4])[0]
        source.seek(size - 8 - length)
        data = source.read(length)
    try:
        fields, _ = _struct(data, 0)
    except (IndexError, struct.error) as error:
        raise FooterError(f"{path}: unreadable Parquet footer") from error
    footer = Footer(fields, size - 8 - length)
    encrypted = _field(fields, _FILE_ENCRYPTION) is not None or any(
        field in _CHUNK_ENCRYPTION for group in footer.row_groups()
        for chunk in _field(group, _GROUP_COLUMNS)[2][1] for field, _, _ in chunk)
    if encrypted:
        raise FooterError(f"{path}: encrypted columns")
    return footer


def _moved(group: Struct, shift: int, ordinal: int) -> Struct:
    """A copy of ``group`` with its byte offsets moved by ``shift`` and its ordinal set."""
    moved: Struct = []
    for field, kind, value in group:
        if field == _GROUP_FILE_OFFSET:
            value += shift
        elif field == _GROUP_ORDINAL:
            value = ordinal
        elif field == _GROUP_COLUMNS:
            value = (value[0], [_moved_chunk(chunk, shift) for chunk in value[1]])
        moved.append([field, kind, value])
    return moved


def _moved_chunk(chunk: Struct, shift: int) -> Struct:
    moved: Struct = []
    for field, kind, value in chunk:
        if field in _CHUNK_OFFSETS and value:
            value += shift
        elif field == _CHUNK_META:
            value = [[f, k, v + shift if f in _META_OFFSETS else v] for f, k, v in value]
        moved.append([field, kind, value])
    return moved


def append_part(out: BinaryIO, path: str | Path, footer: Footer, groups: list[Struct]) -> None:
    """Copy the row groups of the file at ``path`` (footer ``footer``) to ``out``, at its position.

    ``out`` must already hold ``PAR1`` and every earlier part; the part's row groups, with their
    offsets moved to where they now lie, are added to ``groups``.
    """
    shift = out.tell() - len(MAGIC)
    with open(path, "rb") as source:
        if not _copied_in_kernel(source, out, len(MAGIC), footer.data_end - len(MAGIC)):
            source.seek(len(MAGIC))
            remaining = footer.data_end - len(MAGIC)
            while remaining > 0:
                block = source.read(min(remaining, 1 << 20))
                if not block:
                    raise FooterError(f"{path}: shorter than its footer says")
                out.write(block)
                remaining -= len(block)
    first = len(groups)
    groups.extend([_moved(group, shift, first + i) for i, group in enumerate(footer.row_groups())])


def _copied_in_kernel(source: BinaryIO, out: BinaryIO, start: int, count: int) -> bool:
    """Copy ``count`` bytes of ``source`` from ``start`` to ``out`` at its position, in the kernel.

    ``os.copy_file_range`` (Linux) copies without bringing the bytes into Python: a part of a run's
    patient records costs the parent a few milliseconds instead of tens while its workers simulate.
    False, with ``out`` where it was, when it cannot (no such call, another file system, a short
    source): then the caller copies through Python.
    """
    copy_range = getattr(os, "copy_file_range", None)
    if copy_range is None:
        return False
    out.flush()
    begin = out.tell()
    done = 0
    try:
        while done < count:
            copied = copy_range(source.fileno(), out.fileno(), count - done, start + done, begin + done)
            if copied == 0:
                break
            done += copied
    except OSError:
        pass
    out.seek(begin + done if done == count else begin)
    return done == count


def write_footer(out: BinaryIO, first: Footer, groups: list[Struct]) -> None:
    """End ``out`` with the footer of the joined file: ``first``'s, listing every row group."""
    rows = sum(entry[2] for group in groups for entry in group if entry[0] == _GROUP_NUM_ROWS)
    fields: Struct = []
    for field, kind, value in first.fields:
        if field == _FILE_NUM_ROWS:
            value = rows
        elif field == _FILE_ROW_GROUPS:
            value = (_STRUCT, groups)
        fields.append([field, kind, value])
    encoded = bytearray()
    _put_struct(encoded, fields)
    out.write(encoded)
    out.write(struct.pack("<i", len(encoded)))
    out.write(MAGIC)
