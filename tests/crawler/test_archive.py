"""extract_archive on real tar and zip files, honest and hostile."""

from __future__ import annotations

import gzip
import io
import os
import stat
import tarfile
import time
import zipfile
import zlib
from pathlib import Path

import pytest

from catalog.errors import CrawlError
from crawler.archive import extract_archive

MiB = 1024 * 1024


def tar_entry(name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE, link: str = "",
              claimed_size: int | None = None) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    info.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
    info.size = len(data) if claimed_size is None else claimed_size
    return info, data


def write_tar(path: Path, entries: list[tuple[tarfile.TarInfo, bytes]], *, compress: bool = True) -> Path:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for info, data in entries:
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    path.write_bytes(gzip.compress(raw.getvalue()) if compress else raw.getvalue())
    return path


def write_zip(path: Path, entries: dict[str, bytes], *, modes: dict[str, int] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if modes and name in modes:
                info.external_attr = modes[name] << 16
            bundle.writestr(info, data)
    return path


def files_under(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def everything_under(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


def test_github_style_tarball_returns_its_single_top_folder(tmp_path: Path) -> None:
    archive = write_tar(tmp_path / "repo.tar.gz", [
        tar_entry("octo-demo-abc1234", kind=tarfile.DIRTYPE),
        tar_entry("octo-demo-abc1234/package.json", b'{"name": "demo"}'),
        tar_entry("octo-demo-abc1234/src/index.ts", b"export {};\n"),
    ])
    top = extract_archive(archive, tmp_path / "out")
    assert top == tmp_path / "out" / "octo-demo-abc1234"
    assert files_under(top) == {"package.json": b'{"name": "demo"}', "src/index.ts": b"export {};\n"}
    assert everything_under(tmp_path / "out") == ["octo-demo-abc1234", "octo-demo-abc1234/package.json",
                                                  "octo-demo-abc1234/src", "octo-demo-abc1234/src/index.ts"]


def test_archive_with_several_top_entries_returns_dest(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "loose.zip", {"a.ts": b"a", "lib/b.ts": b"b"})
    assert extract_archive(archive, tmp_path / "out") == tmp_path / "out"
    assert files_under(tmp_path / "out") == {"a.ts": b"a", "lib/b.ts": b"b"}


def test_kind_is_read_from_magic_bytes_not_the_suffix(tmp_path: Path) -> None:
    disguised_zip = write_zip(tmp_path / "looks-like.tar.gz", {"top/x.js": b"1"})
    plain_tar = write_tar(tmp_path / "plain.bin", [tar_entry("top/y.js", b"2")], compress=False)
    assert files_under(extract_archive(disguised_zip, tmp_path / "a")) == {"x.js": b"1"}
    assert files_under(extract_archive(plain_tar, tmp_path / "b")) == {"y.js": b"2"}


@pytest.mark.parametrize("name", ["../../evil.txt", "top/../../evil.txt", "top/..\\..\\evil.txt"])
def test_entries_escaping_dest_are_refused_and_nothing_is_written(tmp_path: Path, name: str) -> None:
    (tmp_path / "work").mkdir()
    tar = write_tar(tmp_path / "work" / "slip.tar.gz", [tar_entry("top/ok.txt", b"fine"), tar_entry(name, b"x")])
    zipped = write_zip(tmp_path / "work" / "slip.zip", {"top/ok.txt": b"fine", name: b"x"})
    for archive in (tar, zipped):
        with pytest.raises(CrawlError, match=rf"^unsafe path .* in archive {archive.name}: refusing$"):
            extract_archive(archive, tmp_path / "work" / "deep" / "out")
    assert everything_under(tmp_path) == ["work", "work/slip.tar.gz", "work/slip.zip"]


@pytest.mark.parametrize("name", ["/etc/evil", "C:/evil", "\\evil"])
def test_absolute_entries_are_refused(tmp_path: Path, name: str) -> None:
    tar = write_tar(tmp_path / "abs.tar.gz", [tar_entry(name, b"x")])
    with pytest.raises(CrawlError, match=r"^unsafe path"):
        extract_archive(tar, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_tar_links_devices_and_fifos_are_skipped(tmp_path: Path) -> None:
    archive = write_tar(tmp_path / "links.tar.gz", [
        tar_entry("top/real.txt", b"real"),
        tar_entry("top/to-passwd", kind=tarfile.SYMTYPE, link="/etc/passwd"),
        tar_entry("top/up", kind=tarfile.SYMTYPE, link="../.."),
        tar_entry("top/hard", kind=tarfile.LNKTYPE, link="top/real.txt"),
        tar_entry("top/outside-hard", kind=tarfile.LNKTYPE, link="/etc/passwd"),
        tar_entry("top/null", kind=tarfile.CHRTYPE),
        tar_entry("top/disk", kind=tarfile.BLKTYPE),
        tar_entry("top/pipe", kind=tarfile.FIFOTYPE),
    ])
    top = extract_archive(archive, tmp_path / "out")
    assert everything_under(tmp_path / "out") == ["top", "top/real.txt"]
    assert files_under(top) == {"real.txt": b"real"}


def test_zip_symlink_entries_are_skipped(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "links.zip", {"top/real.txt": b"real", "top/link": b"../../../etc/passwd"},
                        modes={"top/link": stat.S_IFLNK | 0o777, "top/real.txt": stat.S_IFREG | 0o644})
    extract_archive(archive, tmp_path / "out")
    assert everything_under(tmp_path / "out") == ["top", "top/real.txt"]


def test_tar_header_claiming_2_gb_is_refused_before_writing(tmp_path: Path) -> None:
    # The header claims 2 GiB but only a little data follows: refusing must not need the data.
    header = tarfile.TarInfo("top/huge.bin")
    header.size = 2 * 1024 * MiB
    block = header.tobuf(format=tarfile.GNU_FORMAT)
    archive = tmp_path / "claims.tar.gz"
    archive.write_bytes(gzip.compress(block + b"\0" * 4096))
    started = time.monotonic()
    with pytest.raises(CrawlError, match=r"^archive expands beyond 536870912 bytes: refusing \(possible decompression bomb\)$"):
        extract_archive(archive, tmp_path / "out")
    assert time.monotonic() - started < 2
    assert everything_under(tmp_path) == ["claims.tar.gz"]


def test_oversized_pax_header_is_stopped_before_tarfile_reads_it_whole(tmp_path: Path) -> None:
    # tarfile reads an extended header into memory in one go: the stream itself must refuse.
    header = tarfile.TarInfo("././@PaxHeader")
    header.type = tarfile.XHDTYPE
    header.size = 40 * MiB
    archive = tmp_path / "pax.tar.gz"
    archive.write_bytes(gzip.compress(header.tobuf(format=tarfile.USTAR_FORMAT) + b"\0" * (40 * MiB), 1))
    with pytest.raises(CrawlError, match=r"^archive expands beyond 1048576 bytes"):
        extract_archive(archive, tmp_path / "out", max_total_bytes=1 * MiB, max_files=10)
    assert everything_under(tmp_path) == ["pax.tar.gz"]


def test_zip_entry_claiming_huge_size_is_refused_before_writing(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "claims.zip", {"top/small.txt": b"tiny"})
    raw = bytearray(archive.read_bytes())
    # Patch the central directory's uncompressed size (offset 24 in the record) to claim 3 GiB.
    central = raw.rindex(b"PK\x01\x02")
    raw[central + 24: central + 28] = (3 * 1024 * MiB).to_bytes(4, "little")
    archive.write_bytes(bytes(raw))
    with pytest.raises(CrawlError, match=r"possible decompression bomb"):
        extract_archive(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_tar_that_really_expands_past_the_cap_stops_while_writing(tmp_path: Path) -> None:
    # Each member is honest and under the cap; together they are not, so only counting catches it.
    zeros = b"\0" * (256 * 1024)
    archive = write_tar(tmp_path / "bomb.tar.gz", [tar_entry(f"top/part{i}.bin", zeros) for i in range(40)])
    assert archive.stat().st_size < 64 * 1024, "a highly compressible stream"
    with pytest.raises(CrawlError, match=r"^archive expands beyond 1048576 bytes"):
        extract_archive(archive, tmp_path / "out", max_total_bytes=1 * MiB, max_file_bytes=1 * MiB)
    assert everything_under(tmp_path) == ["bomb.tar.gz"]


def test_zip_entries_sharing_one_compressed_stream_are_stopped_by_the_written_count(tmp_path: Path) -> None:
    # Overlapping entries (a non-recursive zip bomb): every entry points at the same deflated data.
    payload = b"A" * (512 * 1024)
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    compressed = deflater.compress(payload) + deflater.flush()
    crc = zlib.crc32(payload)
    name = b"top/a"
    sizes = crc.to_bytes(4, "little") + len(compressed).to_bytes(4, "little") + len(payload).to_bytes(4, "little")
    local = (b"PK\x03\x04" + (20).to_bytes(2, "little") + b"\0\0" + (8).to_bytes(2, "little") + b"\0" * 4
             + sizes + len(name).to_bytes(2, "little") + b"\0\0" + name)
    body = local + compressed
    # Eight directory records, all naming the one local entry at offset 0.
    central = (b"PK\x01\x02" + (20).to_bytes(2, "little") * 2 + b"\0\0" + (8).to_bytes(2, "little")
               + b"\0" * 4 + sizes + len(name).to_bytes(2, "little") + b"\0" * 16 + name) * 8
    end = (b"PK\x05\x06" + b"\0" * 4 + (8).to_bytes(2, "little") * 2 + len(central).to_bytes(4, "little")
           + len(body).to_bytes(4, "little") + b"\0\0")
    archive = tmp_path / "overlap.zip"
    archive.write_bytes(body + central + end)
    with pytest.raises(CrawlError, match=r"^archive expands beyond 2097152 bytes"):
        extract_archive(archive, tmp_path / "out", max_total_bytes=2 * MiB)
    assert not (tmp_path / "out").exists()


def test_single_member_over_the_file_cap_is_refused(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "big.zip", {"top/data.bin": b"\0" * 3000})
    with pytest.raises(CrawlError, match=r"^archive member top/data\.bin expands beyond 1000 bytes"):
        extract_archive(archive, tmp_path / "out", max_file_bytes=1000)


def test_too_many_entries_are_refused(tmp_path: Path) -> None:
    archive = write_tar(tmp_path / "many.tar.gz", [tar_entry(f"top/f{i}.ts", b"x") for i in range(30)])
    with pytest.raises(CrawlError, match=r"^archive many\.tar\.gz holds more than 20 entries: refusing$"):
        extract_archive(archive, tmp_path / "out", max_files=20)
    assert not (tmp_path / "out").exists()


def test_truncated_gzip_is_a_corrupt_archive_and_leaves_nothing(tmp_path: Path) -> None:
    whole = write_tar(tmp_path / "whole.tar.gz", [tar_entry("top/a.bin", os.urandom(200_000))]).read_bytes()
    for cut in (len(whole) // 2, len(whole) - 4):
        archive = tmp_path / "cut.tar.gz"
        archive.write_bytes(whole[:cut])
        with pytest.raises(CrawlError, match=r"^corrupt archive cut\.tar\.gz: "):
            extract_archive(archive, tmp_path / "out")
        assert not (tmp_path / "out").exists()


def test_random_bytes_named_tar_gz_are_not_an_archive(tmp_path: Path) -> None:
    archive = tmp_path / "noise.tar.gz"
    archive.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(CrawlError, match=r"^corrupt archive noise\.tar\.gz: not a tar or zip archive$"):
        extract_archive(archive, tmp_path / "out")


def test_gzip_of_random_bytes_is_a_corrupt_archive(tmp_path: Path) -> None:
    archive = tmp_path / "noise.tar.gz"
    archive.write_bytes(gzip.compress(bytes(range(256)) * 8))
    with pytest.raises(CrawlError, match=r"^corrupt archive noise\.tar\.gz: "):
        extract_archive(archive, tmp_path / "out")


@pytest.mark.parametrize("make", ["tar", "zip"])
def test_empty_archive_is_refused_as_holding_no_files(tmp_path: Path, make: str) -> None:
    archive = (write_tar(tmp_path / "empty.tar.gz", []) if make == "tar"
               else write_zip(tmp_path / "empty.zip", {}))
    with pytest.raises(CrawlError, match=rf"^archive {archive.name} holds no files$"):
        extract_archive(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_archive_of_only_folders_and_links_holds_no_files(tmp_path: Path) -> None:
    archive = write_tar(tmp_path / "hollow.tar.gz", [
        tar_entry("top", kind=tarfile.DIRTYPE),
        tar_entry("top/link", kind=tarfile.SYMTYPE, link="/etc/passwd"),
    ])
    with pytest.raises(CrawlError, match=r"^archive hollow\.tar\.gz holds no files$"):
        extract_archive(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_colons_that_are_not_drive_letters_are_ordinary_names(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "colons.zip", {"top/a:b.txt": b"1", "top/x:/y.txt": b"2"})
    assert files_under(extract_archive(archive, tmp_path / "out")) == {"a:b.txt": b"1", "x:/y.txt": b"2"}


def test_failure_in_an_existing_dest_leaves_it_as_it_was(tmp_path: Path) -> None:
    dest = tmp_path / "out"
    dest.mkdir()
    archive = write_tar(tmp_path / "many.tar.gz", [tar_entry(f"top/f{i}.ts", b"x") for i in range(5)])
    with pytest.raises(CrawlError):
        extract_archive(archive, dest, max_files=3)
    assert list(dest.iterdir()) == []


def test_non_empty_dest_is_refused(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine", encoding="utf-8")
    archive = write_zip(tmp_path / "a.zip", {"top/x": b"1"})
    with pytest.raises(CrawlError, match=r"is not empty$"):
        extract_archive(archive, tmp_path / "out")
    assert everything_under(tmp_path / "out") == ["keep.txt"]
