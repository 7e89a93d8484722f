"""Uploaded files: one set of rules for imports and evidence.

- a size limit per kind of upload (settings ADOLAT_MAX_IMPORT_SIZE, ADOLAT_MAX_EVIDENCE_SIZE);
- the content must be what the extension says (magic bytes, the parts of an office container,
  decodable text without NUL bytes), so a renamed executable or an HTML page called .pdf is refused;
- metadata is stripped from files that other people will download (EXIF and text chunks of images,
  the document information and XMP of PDFs, the author fields of office documents);
- files are stored under generated names (the uploader's name is kept only as data) and are served
  only by a view behind the permission gate, as an attachment, never inline from the app's origin.

Every refusal is a ValidationError with a translated message and one of the codes file_type,
file_empty, file_size, file_content; nothing is written before the checks pass.
"""

from __future__ import annotations

import codecs
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_JPEG = b"\xff\xd8\xff"
_PNG = b"\x89PNG\r\n\x1a\n"

_OOXML_MAIN = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
}
_ODF = {
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}

# Extension → the content type it is served with (always as an attachment, with nosniff).
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "tif": "image/tiff",
    "tiff": "image/tiff",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
    "rtf": "application/rtf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    **_ODF,
    # Text is served as bytes to save, never as something a browser could render.
    "csv": "application/octet-stream",
    "txt": "application/octet-stream",
    "json": "application/octet-stream",
}

# What each kind of upload accepts.
IMPORT_EXTENSIONS = ("csv", "txt", "json", "xlsx", "docx", "xls", "pdf")
EVIDENCE_EXTENSIONS = (
    "pdf",
    "png",
    "jpg",
    "jpeg",
    "gif",
    "webp",
    "tif",
    "tiff",
    "doc",
    "xls",
    "ppt",
    "rtf",
    "docx",
    "xlsx",
    "pptx",
    "odt",
    "ods",
    "odp",
)

# An office container may not unpack to more than this many times the upload limit (zip bombs).
_MAX_EXPANSION = 20


def max_size(kind: str) -> int:
    return {"import": settings.ADOLAT_MAX_IMPORT_SIZE, "evidence": settings.ADOLAT_MAX_EVIDENCE_SIZE}[kind]


def extension_of(name: str) -> str:
    return PurePath(name or "").suffix.lower().lstrip(".")


def _refuse_content(extension: str):
    return ValidationError(
        _("The content of the file is not what its name (.%(extension)s) says; it was not accepted.")
        % {"extension": extension},
        code="file_content",
    )


def check(file, *, kind: str, extensions: Iterable[str], describe_types: str) -> str:
    """The file's extension, once its name, size and content say it is one of `extensions`.

    `describe_types` is the translated sentence that says what may be uploaded instead."""
    extension = extension_of(getattr(file, "name", ""))
    if extension not in extensions:
        raise ValidationError(describe_types, code="file_type")
    size = file.size
    if not size:
        raise ValidationError(_("The file is empty."), code="file_empty")
    limit = max_size(kind)
    if size > limit:
        raise ValidationError(
            _("The file is too large: the largest file accepted is %(limit)s.")
            % {"limit": filesizeformat(limit)},
            code="file_size",
        )
    try:
        ok = _content_matches(file, extension, limit=limit)
    finally:
        file.seek(0)
    if not ok:
        raise _refuse_content(extension)
    return extension


def _content_matches(file, extension: str, *, limit: int) -> bool:
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    if extension == "pdf":
        return head.startswith(b"%PDF-")
    if extension == "png":
        return head.startswith(_PNG)
    if extension in ("jpg", "jpeg"):
        return head.startswith(_JPEG)
    if extension == "gif":
        return head.startswith((b"GIF87a", b"GIF89a"))
    if extension == "webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if extension in ("tif", "tiff"):
        return head.startswith((b"II*\x00", b"MM\x00*"))
    if extension in ("doc", "xls", "ppt"):
        return head.startswith(_OLE2)
    if extension == "rtf":
        return head.startswith(b"{\\rtf")
    if extension in ("csv", "txt", "json"):
        return _is_text(file)
    if extension in _OOXML_MAIN or extension in _ODF:
        return head.startswith(_ZIP) and _container_matches(file, extension, limit=limit)
    return False


def _is_text(file) -> bool:
    """Decodable text (UTF-8, UTF-16 with its byte-order mark, or a single-byte Cyrillic/Latin
    code page) without NUL bytes or other control characters that only binary files hold."""
    sample = file.read(256 * 1024)
    file.seek(0)
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = codecs.getincrementaldecoder("utf-16")().decode(sample, final=False)
        except UnicodeDecodeError:
            return False
    else:
        if b"\x00" in sample:
            return False
        try:
            # Not final: the sample may end inside a multi-byte character.
            text = codecs.getincrementaldecoder("utf-8-sig")().decode(sample, final=False)
        except UnicodeDecodeError:
            text = sample.decode("cp1251", errors="replace")
    return not re.search(r"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]", text)


def _container_matches(file, extension: str, *, limit: int) -> bool:
    try:
        with zipfile.ZipFile(file) as archive:
            infos = archive.infolist()
            if sum(i.file_size for i in infos) > limit * _MAX_EXPANSION:
                return False
            names = {i.filename for i in infos}
            # Macros are not documents one shares; a file holding them is mislabelled (.docm, .xlsm).
            if any(name.lower().endswith("vbaproject.bin") for name in names):
                return False
            if extension in _ODF:
                if "mimetype" not in names:
                    return False
                with archive.open("mimetype") as part:
                    return part.read(100).strip() == _ODF[extension].encode()
            if "[Content_Types].xml" not in names:
                return False
            with archive.open("[Content_Types].xml") as part:
                types = part.read(1024 * 1024)
            return _OOXML_MAIN[extension].encode() in types
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, RuntimeError, ValueError, EOFError):
        return False


# --- Metadata -------------------------------------------------------------------------------------


def strip_metadata(file, extension: str) -> File:
    """A copy of the file without the metadata that would travel with it to other people.

    Refuses (file_content) a file whose structure cannot be read, since it cannot be cleaned."""
    file.seek(0)
    out = tempfile.TemporaryFile()  # noqa: SIM115 — handed to the caller, closed by the storage
    try:
        if extension in ("jpg", "jpeg"):
            _strip_jpeg(file, out)
        elif extension == "png":
            _strip_png(file, out)
        elif extension == "pdf":
            _strip_pdf(file, out)
        elif extension == "gif":
            _strip_gif(file, out)
        elif extension == "webp":
            _strip_webp(file, out)
        elif extension in ("tif", "tiff"):
            _strip_tiff(file, out)
        elif extension == "rtf":
            _strip_rtf(file, out)
        elif extension in _OOXML_MAIN or extension in _ODF:
            _strip_container(file, out)
        else:
            # Legacy Word, Excel and PowerPoint files are kept as uploaded.
            shutil.copyfileobj(file, out)
    except ValidationError:
        out.close()
        raise
    except Exception:
        out.close()
        raise _refuse_content(extension) from None
    finally:
        file.seek(0)
    out.seek(0)
    return File(out, name=getattr(file, "name", "upload"))


def _read_exact(src, n: int) -> bytes:
    data = src.read(n)
    if len(data) != n:
        raise ValueError("truncated")
    return data


# APP0 (JFIF) and APP14 (Adobe colour transform) are needed to show the picture; APP2 is kept only
# when it is the ICC colour profile. APP1 (EXIF, XMP), APP13 (IPTC), the others and comments go.
def _strip_jpeg(src, out) -> None:
    if _read_exact(src, 2) != b"\xff\xd8":
        raise ValueError("not a JPEG")
    out.write(b"\xff\xd8")
    while True:
        marker = _read_exact(src, 2)
        if marker[0] != 0xFF:
            raise ValueError("bad marker")
        while marker[1] == 0xFF:  # fill bytes
            marker = marker[1:] + _read_exact(src, 1)
        code = marker[1]
        if code == 0xD9:  # end of image without scan data
            out.write(marker)
            return
        if 0xD0 <= code <= 0xD7 or code == 0x01:
            out.write(marker)
            continue
        length_bytes = _read_exact(src, 2)
        length = int.from_bytes(length_bytes, "big")
        if length < 2:
            raise ValueError("bad length")
        body = _read_exact(src, length - 2)
        keep = not (0xE0 <= code <= 0xEF or code == 0xFE)
        keep = keep or code in (0xE0, 0xEE) or (code == 0xE2 and body.startswith(b"ICC_PROFILE\x00"))
        if keep:
            out.write(marker + length_bytes + body)
        if code == 0xDA:  # start of scan: the compressed image and the rest follow as they are
            shutil.copyfileobj(src, out)
            return


# Application extensions a GIF needs to play as made (how often an animation loops); comments, XMP,
# colour profiles and any other application's data go.
_GIF_KEEP_APPLICATIONS = (b"NETSCAPE2.0", b"ANIMEXTS1.0")


def _gif_sub_blocks(src) -> bytes:
    """The data sub-blocks that follow a GIF block, with their terminating empty block."""
    parts = []
    while True:
        size = _read_exact(src, 1)
        parts.append(size)
        if size == b"\x00":
            return b"".join(parts)
        parts.append(_read_exact(src, size[0]))


def _strip_gif(src, out) -> None:
    """Keep the header, colour tables, images and the extensions that draw or play them (graphic
    control, plain text, looping); drop comments and other applications' extensions (XMP), and
    whatever follows the trailer."""
    header = _read_exact(src, 13)
    if header[:6] not in (b"GIF87a", b"GIF89a"):
        raise ValueError("not a GIF")
    out.write(header)
    if header[10] & 0x80:  # global colour table
        out.write(_read_exact(src, 3 * 2 ** ((header[10] & 0x07) + 1)))
    while True:
        introducer = _read_exact(src, 1)
        if introducer == b"\x3b":  # trailer
            out.write(introducer)
            return
        if introducer == b"\x2c":  # an image: descriptor, local colour table, LZW data
            descriptor = _read_exact(src, 9)
            table = _read_exact(src, 3 * 2 ** ((descriptor[8] & 0x07) + 1)) if descriptor[8] & 0x80 else b""
            out.write(introducer + descriptor + table + _read_exact(src, 1) + _gif_sub_blocks(src))
        elif introducer == b"\x21":  # an extension
            label = _read_exact(src, 1)
            blocks = _gif_sub_blocks(src)
            keep = label in (b"\xf9", b"\x01")  # graphic control, plain text
            if label == b"\xff":  # application: its identifier is the first sub-block
                keep = blocks[0] == 11 and blocks[1:12] in _GIF_KEEP_APPLICATIONS
            if keep:
                out.write(introducer + label + blocks)
        else:
            raise ValueError("bad block")


def _strip_webp(src, out) -> None:
    """Drop the EXIF and XMP chunks of a WebP (RIFF) file, and their flags in its VP8X header."""
    header = _read_exact(src, 12)
    if header[:4] != b"RIFF" or header[8:] != b"WEBP":
        raise ValueError("not a WebP")
    end = 8 + int.from_bytes(header[4:8], "little")  # the size counts what follows it
    kept, at = [], 12
    while at < end:
        head = _read_exact(src, 8)
        size = int.from_bytes(head[4:], "little")
        body = _read_exact(src, size + (size & 1))  # chunks are padded to an even size
        at += 8 + len(body)
        kind = head[:4]
        if kind in (b"EXIF", b"XMP "):
            continue
        if kind == b"VP8X" and body:
            body = bytes([body[0] & ~0x0C]) + body[1:]  # no EXIF (0x08), no XMP (0x04)
        kept.append(head + body)
    if at != end:
        raise ValueError("bad size")
    payload = b"".join(kept)
    out.write(b"RIFF" + (4 + len(payload)).to_bytes(4, "little") + b"WEBP" + payload)


# RTF groups that name people or hold the document's properties: the information group (title,
# author, operator, company, dates), custom properties, the revision authors' table, and the
# authors of annotations (comments).
_RTF_DROP = re.compile(rb"\{\s*(?:\\info|\\\*\s*\\(?:userprops|revtbl|atnauthor|atnid))(?![A-Za-z])")
_RTF_WORD = re.compile(rb"\\([A-Za-z]{1,32})(-?\d{1,10})? ?")
_RTF_SPECIAL = re.compile(rb"[\\{}]")


def _strip_rtf(src, out) -> None:
    """Copy an RTF file without the groups in _RTF_DROP. Braces are counted as RTF counts them:
    escaped ones (\\{, \\}) are text, and \\binN is followed by N bytes of data."""
    data = src.read()
    if not data.startswith(b"{\\rtf"):
        raise ValueError("not an RTF")
    kept, at, copied, depth, dropping = [], 0, 0, 0, None
    while (special := _RTF_SPECIAL.search(data, at)) is not None:
        at = special.start()  # text (pictures' hexadecimal too) is skipped at C's speed
        byte = data[at]
        if byte == 0x5C:  # backslash
            word = _RTF_WORD.match(data, at)
            if word is None:
                at += 2  # a control symbol (\{, \}, \\, \', \~ ...): never a group's brace
                continue
            at = word.end()
            if word.group(1) == b"bin":
                length = int(word.group(2) or 0)
                if length < 0:
                    raise ValueError("negative length")
                at += length  # raw data, braces included
            continue
        if byte == 0x7B:  # {
            if dropping is None and _RTF_DROP.match(data, at):
                kept.append(data[copied:at])
                dropping = depth
            depth += 1
        elif byte == 0x7D:  # }
            depth -= 1
            if depth < 0:
                raise ValueError("unbalanced braces")
            if depth == dropping:
                dropping = None
                copied = at + 1
        at += 1
    if depth or dropping is not None or at > len(data):
        raise ValueError("unbalanced braces")
    kept.append(data[copied:])
    out.write(b"".join(kept))


# The TIFF tags an image needs to be shown (baseline and extension tags of TIFF 6.0, the colour
# profile); any other tag goes, with its value: descriptions, make and model, software, dates,
# artist, copyright, XMP, IPTC, Photoshop's resources, and the EXIF and GPS directories.
_TIFF_KEEP = frozenset(
    {254, 255, 256, 257, 258, 259, 262, 263, 264, 265, 266, 273, 274, 277, 278, 279, 280, 281}
    | {282, 283, 284, 290, 291, 292, 293, 296, 297, 301, 317, 318, 319, 320, 321, 322, 323, 324}
    | {325, 330, 332, 338, 339, 340, 341, 347, 512, 513, 514, 515, 517, 518, 519, 520, 521, 529}
    | {530, 531, 532, 34675}
)
# Bytes per value of each TIFF field type (BYTE, ASCII, SHORT, LONG, RATIONAL, SBYTE, UNDEFINED,
# SSHORT, SLONG, SRATIONAL, FLOAT, DOUBLE, IFD).
_TIFF_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
# Tags whose values point at other directories: images (SubIFDs) are cleaned like the main one;
# metadata directories (EXIF, GPS, interoperability) are erased with everything they hold.
_TIFF_SUB_IMAGES = 330
_TIFF_METADATA_DIRECTORIES = frozenset({34665, 34853, 40965})


def _tiff_numbers(number, kind: int, count: int, value: int) -> list[int]:
    """The SHORT or LONG values of an entry (offsets and sizes of the picture's parts)."""
    size = {3: 2, 4: 4, 13: 4}.get(kind)
    if size is None:
        raise ValueError("offsets of an unexpected type")
    return [number(value + size * n, size) for n in range(count)]


def _strip_tiff(src, out) -> None:
    """Rewrite each image directory of a TIFF file in place with only the tags in _TIFF_KEEP, and
    overwrite with zeros the values and directories of the others. Offsets do not move, so the
    picture's data stays byte for byte where it was."""
    data = bytearray(src.read())
    order = {b"II": "little", b"MM": "big"}.get(bytes(data[:2]))
    if order is None or int.from_bytes(data[2:4], order) != 42:
        raise ValueError("not a TIFF")

    def number(at: int, size: int) -> int:
        if at < 0 or at + size > len(data):
            raise ValueError("out of the file")
        return int.from_bytes(data[at : at + size], order)

    def entries(ifd: int) -> list[tuple[int, int, int, int, int]]:
        """(tag, type, count, where the entry is, where its value is) of a directory's entries."""
        found = []
        for n in range(number(ifd, 2)):
            at = ifd + 2 + 12 * n
            tag, kind, count = number(at, 2), number(at + 2, 2), number(at + 4, 4)
            size = _TIFF_SIZES.get(kind, 1) * count
            value = at + 8 if size <= 4 else number(at + 8, 4)
            if value + size > len(data):
                raise ValueError("value out of the file")
            found.append((tag, kind, count, at, value))
        return found

    erased: list[tuple[int, int]] = []  # (start, end) overwritten with zeros
    kept: list[tuple[int, int]] = []  # (start, end) that must survive

    def erase_directory(ifd: int, seen: set) -> None:
        if ifd in seen:
            raise ValueError("a loop of directories")
        seen.add(ifd)
        for tag, kind, count, _at, value in entries(ifd):
            size = _TIFF_SIZES.get(kind, 1) * count
            if tag in _TIFF_METADATA_DIRECTORIES and kind in (4, 13) and count == 1:
                erase_directory(number(value, 4), seen)
            if size > 4:
                erased.append((value, value + size))
        erased.append((ifd, ifd + 2 + 12 * number(ifd, 2) + 4))

    def clean_directory(ifd: int, seen: set) -> int:
        """Rewrite a directory (and its sub-images'); the offset of the next one (0: none)."""
        if ifd in seen:
            raise ValueError("a loop of directories")
        seen.add(ifd)
        old = entries(ifd)
        keep = []
        for tag, kind, count, at, value in old:
            size = _TIFF_SIZES.get(kind, 1) * count
            if tag in _TIFF_KEEP:
                keep.append(bytes(data[at : at + 12]))
                if size > 4:
                    kept.append((value, value + size))
                if tag == _TIFF_SUB_IMAGES and kind in (4, 13):
                    for n in range(count):
                        sub_image = number(value + 4 * n, 4)
                        while sub_image:
                            sub_image = clean_directory(sub_image, seen)
                continue
            if tag in _TIFF_METADATA_DIRECTORIES and kind in (4, 13) and count == 1:
                erase_directory(number(value, 4), seen)
            if size > 4:
                erased.append((value, value + size))
        # The picture: strips, tiles or an old-style JPEG stream, where their offsets and sizes say.
        values = {tag: (kind, count, value) for tag, kind, count, _at, value in old}
        for offsets, sizes in ((273, 279), (324, 325), (513, 514)):
            if offsets in values and sizes in values:
                starts, lengths = (_tiff_numbers(number, *values[t]) for t in (offsets, sizes))
                kept.extend((start, start + length) for start, length in zip(starts, lengths, strict=False))
        following = number(ifd + 2 + 12 * len(old), 4)
        directory_end = ifd + 2 + 12 * len(old) + 4
        rewritten = len(keep).to_bytes(2, order) + b"".join(keep) + following.to_bytes(4, order)
        data[ifd:directory_end] = rewritten + bytes(directory_end - ifd - len(rewritten))
        kept.append((ifd, ifd + len(rewritten)))
        return following

    # Page after page (a scan of a thousand pages is a chain of a thousand directories).
    ifd, seen = number(4, 4), set()
    while ifd:
        ifd = clean_directory(ifd, seen)
    # What is kept (the directories, their values, the picture) must not be touched by what is erased.
    for start, end in erased:
        for keep_start, keep_end in kept:
            if start < keep_end and keep_start < end:
                raise ValueError("metadata shares bytes with the picture")
        data[start:end] = bytes(end - start)
    out.write(data)


_PNG_DROP = {b"tEXt", b"iTXt", b"zTXt", b"eXIf", b"tIME"}


def _strip_png(src, out) -> None:
    if _read_exact(src, 8) != _PNG:
        raise ValueError("not a PNG")
    out.write(_PNG)
    while True:
        header = _read_exact(src, 8)
        length = int.from_bytes(header[:4], "big")
        body_and_crc = _read_exact(src, length + 4)
        if header[4:] not in _PNG_DROP:
            out.write(header + body_and_crc)
        if header[4:] == b"IEND":
            return


def _strip_pdf(src, out) -> None:
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject

    reader = PdfReader(src)
    if reader.is_encrypted:
        raise ValidationError(
            _("Encrypted or password-protected PDF files cannot be attached; attach an unprotected copy."),
            code="file_content",
        )
    writer = PdfWriter(clone_from=reader)
    writer.metadata = None
    root = writer.root_object
    if NameObject("/Metadata") in root:
        del root[NameObject("/Metadata")]
    for page in writer.pages:
        if NameObject("/Metadata") in page:
            del page[NameObject("/Metadata")]
    # The removed dictionaries would otherwise still be written, as unreferenced objects.
    writer.compress_identical_objects(remove_duplicates=False, remove_unreferenced=True)
    writer.write(out)


_EMPTY_PARTS = {
    "docProps/core.xml": (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
        b' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
        b' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>'
    ),
    "docProps/custom.xml": (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"'
        b' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"/>'
    ),
    "meta.xml": (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        b' office:version="1.2"><office:meta/></office:document-meta>'
    ),
}
# Who wrote the document and for whom, in the application properties.
_APP_FIELDS = re.compile(rb"<(Company|Manager|HyperlinkBase)>[^<]*</\1>")


def _strip_container(src, out) -> None:
    with zipfile.ZipFile(src) as archive, zipfile.ZipFile(out, "w") as clean:
        for info in archive.infolist():
            # Keep each entry's compression (an OpenDocument's mimetype must stay stored).
            fresh = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fresh.compress_type = info.compress_type
            fresh.external_attr = info.external_attr
            if info.filename in _EMPTY_PARTS:
                clean.writestr(fresh, _EMPTY_PARTS[info.filename])
            elif info.filename == "docProps/app.xml":
                clean.writestr(fresh, _APP_FIELDS.sub(rb"<\1></\1>", archive.read(info)))
            else:
                with archive.open(info) as part, clean.open(fresh, "w") as target:
                    shutil.copyfileobj(part, target)


# --- Serving --------------------------------------------------------------------------------------


def attachment_response(file, *, extension: str, filename: str) -> FileResponse:
    """The file as a download (never shown inline in the app's origin), with a safe content type."""
    response = FileResponse(
        file,
        as_attachment=True,
        filename=filename,
        content_type=CONTENT_TYPES.get(extension, "application/octet-stream"),
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Even if a browser rendered it, it could run nothing and reach nothing.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def display_name(original: str, extension: str, fallback: str) -> str:
    """A download name: the uploader's name without any path, with the checked extension."""
    stem = PurePath((original or "").replace("\\", "/")).stem.strip()
    stem = re.sub(r"[\x00-\x1f\x7f/]", "", stem)[:100] or fallback
    return f"{stem}.{extension}"
