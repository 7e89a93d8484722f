"""Pictures cleaned of their metadata (adolat/lib/uploads.strip_metadata) still show: Debian's
headless chromium decodes each cleaned GIF and WebP as it decodes the original."""

import base64

import pytest

from adolat.lib.tests.test_uploads import GIF, WEBP, stripped

# The launch arguments and the chromium-skip rule of adolat/tests/test_browser.py.
from adolat.tests.test_browser import _need_chromium, browser  # noqa: F401

pytestmark = pytest.mark.browser


def picture(page, mime: str, content: bytes) -> list:
    """[width, height, a pixel's RGBA] as the browser decodes the picture (None when it cannot)."""
    url = f"data:{mime};base64,{base64.b64encode(content).decode()}"
    return page.evaluate(
        """async (url) => {
            const img = new Image();
            img.src = url;
            try { await img.decode(); } catch (e) { return null; }
            const canvas = document.createElement("canvas");
            canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
            const context = canvas.getContext("2d");
            context.drawImage(img, 0, 0);
            return [img.naturalWidth, img.naturalHeight, Array.from(context.getImageData(0, 0, 1, 1).data)];
        }""",
        url,
    )


@pytest.mark.parametrize(
    ("name", "mime", "content"), [("a.gif", "image/gif", GIF), ("a.webp", "image/webp", WEBP)]
)
def test_cleaned_pictures_show_as_the_originals(browser, name, mime, content):  # noqa: F811
    page = browser.new_page()
    original = picture(page, mime, content)
    assert original is not None and original[:2] == [1, 1]
    assert picture(page, mime, stripped(name, content)) == original
    assert picture(page, mime, b"not a picture") is None  # the check can fail
