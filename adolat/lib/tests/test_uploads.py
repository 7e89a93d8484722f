"""The rules every uploaded file goes through (adolat/lib/uploads.py): size, content matching the
declared type, metadata removed, served only as a download."""

import io
import zipfile
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from adolat.lib import uploads

# --- Sample files, each carrying metadata that must not travel ------------------------------------

SECRET = b"Dilnoza Secret-Author"


def pdf(*, metadata: bool = True) -> bytes:
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, NameObject

    writer = PdfWriter()
    writer.add_blank_page(width=100, height=100)
    if metadata:
        writer.add_metadata({"/Author": SECRET.decode(), "/Title": "Internal draft"})
        xmp = DecodedStreamObject()
        xmp.set_data(b"<x:xmpmeta><dc:creator>" + SECRET + b"</dc:creator></x:xmpmeta>")
        xmp[NameObject("/Type")] = NameObject("/Metadata")
        xmp[NameObject("/Subtype")] = NameObject("/XML")
        writer.root_object[NameObject("/Metadata")] = writer._add_object(xmp)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def segment(code: int, body: bytes) -> bytes:
    return bytes([0xFF, code]) + (len(body) + 2).to_bytes(2, "big") + body


SCAN = b"\x12\x34compressed image data\x56"
JPEG = (
    b"\xff\xd8"
    + segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    + segment(0xE1, b"Exif\x00\x00GPS 38.5598N 68.7870E " + SECRET)
    + segment(0xE2, b"ICC_PROFILE\x00\x01\x01colour profile")
    + segment(0xED, b"Photoshop 3.0\x00IPTC " + SECRET)
    + segment(0xFE, b"comment " + SECRET)
    + segment(0xDB, b"\x00" + bytes(64))
    + segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    + SCAN
    + b"\xff\xd9"
)


def chunk(kind: bytes, body: bytes) -> bytes:
    return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")


IDAT = chunk(b"IDAT", zlib.compress(b"\x00\x00"))
PNG = (
    b"\x89PNG\r\n\x1a\n"
    + chunk(b"IHDR", (1).to_bytes(4, "big") * 2 + b"\x08\x00\x00\x00\x00")
    + chunk(b"tEXt", b"Author\x00" + SECRET)
    + chunk(b"iTXt", b"Comment\x00\x00\x00\x00\x00" + SECRET)
    + chunk(b"eXIf", b"MM\x00*" + SECRET)
    + IDAT
    + chunk(b"IEND", b"")
)

WORD_MAIN = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
SHEET_MAIN = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


def zipped(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def ooxml(main_type: bytes, main_part: str, **extra: bytes) -> bytes:
    return zipped(
        {
            "[Content_Types].xml": b'<Types><Override PartName="/'
            + main_part.encode()
            + b'" ContentType="'
            + main_type
            + b'"/></Types>',
            main_part: b"<document>The text stays.</document>",
            "docProps/core.xml": b"<cp:coreProperties><dc:creator>"
            + SECRET
            + b"</dc:creator></cp:coreProperties>",
            "docProps/app.xml": b"<Properties><Company>"
            + SECRET
            + b"</Company><Pages>1</Pages></Properties>",
            **extra,
        }
    )


DOCX = ooxml(WORD_MAIN, "word/document.xml")
XLSX = ooxml(SHEET_MAIN, "xl/workbook.xml")
XLS = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
CSV = "Recommendation,State\nРатификатсия кунед,Tajikistan\n".encode()


def check(name: str, content: bytes, kind="evidence") -> str:
    extensions = uploads.EVIDENCE_EXTENSIONS if kind == "evidence" else uploads.IMPORT_EXTENSIONS
    return uploads.check(
        SimpleUploadedFile(name, content), kind=kind, extensions=extensions, describe_types="no"
    )


def refusal(name: str, content: bytes, kind="evidence") -> str:
    with pytest.raises(ValidationError) as refused:
        check(name, content, kind)
    return refused.value.code


# --- Content must match the declared type --------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("law.pdf", pdf(), "evidence"),
        ("photo.JPG", JPEG, "evidence"),
        ("chart.png", PNG, "evidence"),
        ("decree.docx", DOCX, "evidence"),
        ("figures.xlsx", XLSX, "import"),
        ("old.xls", XLS, "import"),
        ("export.csv", CSV, "import"),
        ("export-cp1251.csv", "Тоҷикистон;Русский\n".encode("cp1251", errors="replace"), "import"),
        ("export-utf16.txt", "\ufeffRecommendation\tState\n".encode("utf-16-le"), "import"),
    ],
)
def test_files_whose_content_is_what_their_name_says_are_accepted(name, content, kind):
    assert check(name, content, kind) == name.rsplit(".", 1)[1].lower()


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("law.pdf", b"<html><script>alert(1)</script></html>", "evidence"),
        ("photo.jpg", PNG, "evidence"),
        ("chart.png", JPEG, "evidence"),
        ("figures.xlsx", DOCX, "import"),  # a Word document renamed
        ("decree.docx", XLSX, "evidence"),
        (
            "decree.docx",
            zipped({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<d/>"}),
            "evidence",
        ),
        ("macros.docx", ooxml(WORD_MAIN, "word/document.xml", **{"word/vbaProject.bin": b"x"}), "evidence"),
        ("old.xls", b"PK\x03\x04 not OLE2", "import"),
        ("export.csv", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "import"),  # an executable
        ("export.csv", b"a,b\n1,\x002\n", "import"),
        ("export.csv", bytes(range(256)) * 4, "import"),
    ],
)
def test_files_whose_content_is_something_else_are_refused(name, content, kind):
    assert refusal(name, content, kind) == "file_content"


@pytest.mark.parametrize("name", ["page.html", "image.svg", "tool.exe", "archive.zip", "no-extension"])
def test_kinds_that_are_not_accepted_are_refused_by_name(name):
    assert refusal(name, b"anything") == "file_type"


def test_an_empty_file_is_refused():
    assert refusal("law.pdf", b"") == "file_empty"


# --- Size -----------------------------------------------------------------------------------------


def test_each_kind_has_its_own_size_limit(settings):
    settings.ADOLAT_MAX_EVIDENCE_SIZE = 4096
    settings.ADOLAT_MAX_IMPORT_SIZE = 8192
    with pytest.raises(ValidationError) as refused:
        check("export.csv", CSV * 200, "import")
    assert refused.value.code == "file_size"
    assert refused.value.messages == ["The file is too large: the largest file accepted is 8.0\xa0KB."]
    assert check("export.csv", CSV * 100, "import") == "csv"
    assert refusal("law.pdf", b"%PDF-1.7" + bytes(5000)) == "file_size"


def test_the_default_limits_come_from_the_environment():
    import os
    import subprocess
    import sys

    code = "from django.conf import settings as s\n"
    code += "print(s.ADOLAT_MAX_IMPORT_SIZE, s.ADOLAT_MAX_EVIDENCE_SIZE)"
    env = {**os.environ, "SECRET_KEY": "x", "ADOLAT_MAX_IMPORT_MB": "7", "ADOLAT_MAX_EVIDENCE_MB": "3"}
    env["DJANGO_SETTINGS_MODULE"] = "adolat.settings"
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import django; django.setup(); " + code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split() == [str(7 * 1024 * 1024), str(3 * 1024 * 1024)]


def test_an_office_file_that_unpacks_to_far_more_than_the_limit_is_refused(settings):
    settings.ADOLAT_MAX_EVIDENCE_SIZE = 10_000
    bomb = ooxml(WORD_MAIN, "word/document.xml", **{"word/media/padding.bin": bytes(300_000)})
    assert len(bomb) < 10_000
    assert refusal("decree.docx", bomb) == "file_content"


# --- Metadata -------------------------------------------------------------------------------------


def stripped(name: str, content: bytes) -> bytes:
    upload = SimpleUploadedFile(name, content)
    with uploads.strip_metadata(upload, uploads.extension_of(name)) as clean:
        return clean.read()


def test_jpeg_loses_exif_iptc_and_comments_but_keeps_the_picture():
    clean = stripped("photo.jpg", JPEG)
    assert SECRET not in clean and b"GPS" not in clean and b"Exif" not in clean
    assert clean.startswith(b"\xff\xd8") and clean.endswith(SCAN + b"\xff\xd9")
    assert b"JFIF" in clean and b"ICC_PROFILE" in clean


def test_png_loses_its_text_and_exif_chunks_but_keeps_the_picture():
    clean = stripped("chart.png", PNG)
    assert SECRET not in clean
    assert IDAT in clean and clean.endswith(chunk(b"IEND", b""))


def test_pdf_loses_its_document_information_and_xmp():
    from pypdf import PdfReader

    clean = stripped("law.pdf", pdf())
    assert SECRET not in clean and b"Internal draft" not in clean
    reader = PdfReader(io.BytesIO(clean))
    assert len(reader.pages) == 1
    assert not reader.metadata or "/Author" not in reader.metadata
    assert "/Metadata" not in reader.trailer["/Root"]


@pytest.mark.parametrize(("name", "content"), [("decree.docx", DOCX), ("figures.xlsx", XLSX)])
def test_office_documents_lose_their_author_fields_but_keep_their_content(name, content):
    clean = stripped(name, content)
    with zipfile.ZipFile(io.BytesIO(clean)) as archive:
        assert SECRET not in archive.read("docProps/core.xml")
        assert (
            archive.read("docProps/app.xml")
            == b"<Properties><Company></Company><Pages>1</Pages></Properties>"
        )
        main = "word/document.xml" if name.endswith("docx") else "xl/workbook.xml"
        assert archive.read(main) == b"<document>The text stays.</document>"
    assert check(name, clean) == name.rsplit(".", 1)[1], "still the same kind of document"


def test_a_pdf_that_cannot_be_read_cannot_be_cleaned_and_is_refused():
    with pytest.raises(ValidationError) as refused:
        stripped("law.pdf", b"%PDF-1.7 but nothing else")
    assert refused.value.code == "file_content"


def test_a_jpeg_cut_off_in_its_headers_is_refused():
    with pytest.raises(ValidationError):
        stripped("photo.jpg", JPEG[:30])


# --- Serving --------------------------------------------------------------------------------------


def test_files_are_served_as_downloads_that_a_browser_will_not_render():
    response = uploads.attachment_response(
        io.BytesIO(b"<html>"),
        extension="txt",
        filename=uploads.display_name("../../etc/notes.txt", "txt", "x"),
    )
    assert response["Content-Disposition"] == 'attachment; filename="notes.txt"'
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


# GIF, WebP and TIFF: built here with the metadata their makers write (cameras, phones, scanners).

GIF_IMAGE = b"\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00"
GIF_LOOP = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
GIF_CONTROL = b"\x21\xf9\x04\x01\x00\x00\x00\x00"


def gif_sub_blocks(data: bytes) -> bytes:
    return (
        b"".join(bytes([len(data[i : i + 255])]) + data[i : i + 255] for i in range(0, len(data), 255))
        + b"\x00"
    )


GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00"
    + b"\x00\x00\x00\xff\xff\xff"  # global colour table
    + GIF_LOOP
    + b"\x21\xfe"
    + gif_sub_blocks(b"comment " + SECRET)
    + b"\x21\xff\x0bXMP DataXMP"
    + gif_sub_blocks(b"<x:xmpmeta>" + SECRET * 20 + b"</x:xmpmeta>")
    + GIF_CONTROL
    + GIF_IMAGE
    + b"\x3b"
    + b"appended "
    + SECRET
)


def riff_chunk(kind: bytes, body: bytes) -> bytes:
    return kind + len(body).to_bytes(4, "little") + body + b"\x00" * (len(body) & 1)


# A 1×1 lossless picture, in the extended format that carries EXIF and XMP.
VP8L = riff_chunk(b"VP8L", bytes.fromhex("2f00000010071011118888fe07"))
VP8X = riff_chunk(b"VP8X", bytes([0x0C, 0, 0, 0]) + (0).to_bytes(3, "little") * 2)


def webp(*chunks: bytes) -> bytes:
    payload = b"WEBP" + b"".join(chunks)
    return b"RIFF" + len(payload).to_bytes(4, "little") + payload


WEBP = webp(VP8X, VP8L, riff_chunk(b"EXIF", b"MM\x00*GPS " + SECRET), riff_chunk(b"XMP ", SECRET + b"!"))


def tiff() -> bytes:
    """A 1×1 grey TIFF (little-endian) whose first directory holds a description, the software,
    and EXIF and GPS directories, as scanners and cameras write them."""
    import struct

    entries, extra = [], bytearray()
    base = 8  # the directory follows the header
    count = 13
    data_at = base + 2 + 12 * count + 4

    def out_of_line(payload: bytes) -> int:
        at = data_at + len(extra)
        extra.extend(payload + b"\x00" * (len(payload) & 1))
        return at

    def entry(tag, kind, number, value):
        return struct.pack("<HHI", tag, kind, number) + (
            struct.pack("<I", value) if kind == 4 else struct.pack("<HH", value, 0)
        )

    description = out_of_line(b"Photo of cell 4, taken by " + SECRET + b"\x00")
    software = out_of_line(b"Scanner of " + SECRET + b"\x00")
    pixel = out_of_line(b"\x7f")
    exif_value = out_of_line(b"ASCII\x00\x00\x00" + SECRET)
    exif = out_of_line(
        struct.pack("<H", 1) + struct.pack("<HHII", 37510, 7, 8 + len(SECRET), exif_value) + bytes(4)
    )
    gps_value = out_of_line(struct.pack("<6I", 38, 1, 33, 1, 3588, 100))
    gps = out_of_line(struct.pack("<H", 1) + struct.pack("<HHII", 2, 5, 3, gps_value) + bytes(4))
    entries = [
        entry(256, 3, 1, 1),
        entry(257, 3, 1, 1),
        entry(258, 3, 1, 8),
        entry(259, 3, 1, 1),
        entry(262, 3, 1, 1),
        entry(270, 2, len(b"Photo of cell 4, taken by " + SECRET) + 1, description),
        entry(273, 4, 1, pixel),
        entry(277, 3, 1, 1),
        entry(278, 3, 1, 1),
        entry(279, 4, 1, 1),
        entry(305, 2, len(b"Scanner of " + SECRET) + 1, software),
        entry(34665, 4, 1, exif),
        entry(34853, 4, 1, gps),
    ]
    assert len(entries) == count
    return (
        b"II*\x00" + struct.pack("<I", base) + struct.pack("<H", count) + b"".join(entries) + bytes(4) + extra
    )


def tiff_tags(content: bytes) -> dict[int, bytes]:
    """tag → the 12 bytes of its entry, in the first directory."""
    import struct

    (ifd,) = struct.unpack_from("<I", content, 4)
    (count,) = struct.unpack_from("<H", content, ifd)
    return {
        struct.unpack_from("<H", content, ifd + 2 + 12 * n)[0]: content[ifd + 2 + 12 * n : ifd + 14 + 12 * n]
        for n in range(count)
    }


def test_gif_loses_its_comments_xmp_and_what_follows_it_but_keeps_the_picture_and_its_loop():
    clean = stripped("drawing.gif", GIF)
    assert SECRET not in clean
    assert (
        clean
        == b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff"
        + GIF_LOOP
        + GIF_CONTROL
        + GIF_IMAGE
        + b"\x3b"
    )
    assert stripped("drawing.gif", clean) == clean


def test_webp_loses_its_exif_and_xmp_chunks_and_flags_but_keeps_the_picture():
    clean = stripped("photo.webp", WEBP)
    assert SECRET not in clean and b"EXIF" not in clean and b"XMP " not in clean
    assert clean == webp(riff_chunk(b"VP8X", bytes(10)), VP8L)
    assert check("photo.webp", clean) == "webp"


def test_tiff_loses_its_descriptive_tags_and_exif_and_gps_directories_but_keeps_the_picture():
    original = tiff()
    assert SECRET in original and tiff_tags(original).keys() >= {270, 305, 34665, 34853}
    clean = stripped("scan.tiff", original)
    assert SECRET not in clean and (38).to_bytes(4, "little") + (1).to_bytes(4, "little") not in clean
    assert len(clean) == len(original)  # nothing moved: the picture is where its offsets say
    tags = tiff_tags(clean)
    assert set(tags) == {256, 257, 258, 259, 262, 273, 277, 278, 279}
    assert all(tags[t] == tiff_tags(original)[t] for t in tags)
    pixel = int.from_bytes(tags[273][8:12], "little")
    assert clean[pixel] == 0x7F
    assert check("scan.tiff", clean) == "tiff"
    assert stripped("scan.tiff", clean) == clean


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("drawing.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00\x21\xfe\x05abc"),  # cut short
        ("drawing.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00\x99"),  # an unknown block
        ("photo.webp", b"RIFF\xff\x00\x00\x00WEBPVP8L\x05\x00\x00\x00ab"),  # sizes beyond the file
        ("scan.tiff", b"II*\x00\xff\xff\x00\x00"),  # a directory beyond the file
        ("scan.tiff", b"II*\x00\x08\x00\x00\x00\x00\x00\x08\x00\x00\x00"),  # a loop of directories
    ],
)
def test_images_whose_structure_cannot_be_read_are_refused_rather_than_kept_with_their_metadata(
    name, content
):
    with pytest.raises(ValidationError) as refused:
        stripped(name, content)
    assert refused.value.code == "file_content"


RTF_BODY = (
    rb"{\fonttbl{\f0 Times;}}"
    rb"\pard Report on cell 4: the door \{sic\} was locked \\ open.\par"
    rb"{\*\atnid DS}{\*\atnauthor " + SECRET + rb"}\chatn{\*\annotation Checked.}"
    rb"{\pict\pngblip\bin6 {}}{} }\par}"
)
RTF = (
    rb"{\rtf1\ansi\deff0"
    rb"{\info{\title Draft}{\author " + SECRET + rb"}{\operator " + SECRET + rb"}"
    rb"{\company Office \{of\} " + SECRET + rb"}{\creatim\yr2026\mo11\dy2}}"
    rb"{\*\userprops {\propname Reviewer}\proptype30{\staticval " + SECRET + rb"}}"
    rb"{\*\revtbl {Unknown;}{" + SECRET + rb";}}" + RTF_BODY
)


def test_rtf_loses_its_information_group_custom_properties_and_authors_but_keeps_the_text():
    clean = stripped("letter.rtf", RTF)
    assert SECRET not in clean
    # Everything else is as it was, escaped braces and binary data (holding braces) included.
    assert clean == rb"{\rtf1\ansi\deff0" + RTF_BODY.replace(
        rb"{\*\atnid DS}{\*\atnauthor " + SECRET + rb"}", b""
    )
    assert check("letter.rtf", clean) == "rtf"
    assert stripped("letter.rtf", clean) == clean


@pytest.mark.parametrize(
    "content",
    [rb"{\rtf1{\info{\author x}", rb"{\rtf1}}", rb"{\rtf1{\pict\bin99 {}}}", rb"{\rtf1{\pict\bin-5 }}"],
)
def test_rtf_whose_groups_do_not_close_is_refused(content):
    with pytest.raises(ValidationError) as refused:
        stripped("letter.rtf", content)
    assert refused.value.code == "file_content"


def test_a_large_rtf_picture_is_copied_as_it_is():
    """A picture in hexadecimal (megabytes of text without a brace) passes unchanged."""
    picture = rb"{\pict\pngblip " + b"89504e470d0a1a0a" * 400_000 + b"}"
    content = rb"{\rtf1{\info{\author " + SECRET + rb"}}" + picture + b"}"
    clean = stripped("letter.rtf", content)
    assert clean == rb"{\rtf1" + picture + b"}"


def tiff_pages(n: int) -> bytes:
    """A big-endian TIFF of `n` 1×1 pages, each with a description naming someone."""
    import struct

    description = b"Page scanned by " + SECRET + b"\x00"
    page = 2 + 12 * 8 + 4 + len(description) + 2  # a directory, its description, its pixel (and a pad)
    out = bytearray(b"MM\x00*" + struct.pack(">I", 8))
    for i in range(n):
        at = 8 + i * page
        text_at, pixel_at = at + 2 + 12 * 8 + 4, at + 2 + 12 * 8 + 4 + len(description)
        entries = [
            struct.pack(">HHIHH", 256, 3, 1, 1, 0),
            struct.pack(">HHIHH", 257, 3, 1, 1, 0),
            struct.pack(">HHIHH", 258, 3, 1, 8, 0),
            struct.pack(">HHIHH", 262, 3, 1, 1, 0),
            struct.pack(">HHII", 270, 2, len(description), text_at),
            struct.pack(">HHII", 273, 4, 1, pixel_at),
            struct.pack(">HHIHH", 277, 3, 1, 1, 0),
            struct.pack(">HHII", 279, 4, 1, 1),
        ]
        following = at + page if i + 1 < n else 0
        out += struct.pack(">H", 8) + b"".join(entries) + struct.pack(">I", following)
        out += description + bytes([i % 256, 0])
    return bytes(out)


def test_every_page_of_a_long_tiff_is_cleaned():
    original = tiff_pages(1500)
    clean = stripped("scan.tif", original)
    assert SECRET in original and SECRET not in clean
    assert len(clean) == len(original)
    # The last page's pixel, where its directory says.
    page = len(original) // 1500
    assert clean[8 + 1499 * page + 2 + 12 * 8 + 4 + len(b"Page scanned by " + SECRET + b"\x00")] == 1499 % 256
