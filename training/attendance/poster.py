"""The printable check-in poster: the session title in Chinese above a large QR code."""

import io
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

import qrcode
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from training.programmes.models import Session

FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)
WIDTH, HEIGHT = 1240, 1754  # A4 at 150 dpi
RED = (179, 25, 30)


@lru_cache(maxsize=1)
def cjk_font_path() -> str:
    """A font that has Chinese glyphs: POSTER_FONT, a known path, or fontconfig's choice."""
    configured = settings.POSTER_FONT
    candidates = [configured] if configured else []
    candidates += list(FONT_CANDIDATES)
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    if shutil.which("fc-match"):
        found = subprocess.run(
            ["fc-match", "-f", "%{file}", ":lang=zh-cn"], capture_output=True, text=True, timeout=10, check=False
        ).stdout.strip()
        if found and Path(found).is_file() and Path(found).suffix.lower() in (".ttc", ".ttf", ".otf"):
            return found
    raise ImproperlyConfigured(
        "No Chinese (CJK) font found for the check-in poster: install fonts-noto-cjk "
        "or set POSTER_FONT to the path of a .ttc/.ttf/.otf font with Chinese glyphs."
    )


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(cjk_font_path(), size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> list[str]:
    lines, line = [], ""
    for char in text:
        if draw.textlength(line + char, font=font) > width and line:
            lines.append(line)
            line = char
        else:
            line += char
    return [*lines, line] if line else lines


def render(session: Session, url: str) -> bytes:
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, WIDTH, 150], fill=RED)
    header = _font(64)
    draw.text((WIDTH / 2, 75), "扫码签到", font=header, fill="white", anchor="mm")

    title_font = _font(72)
    y = 220
    for line in _wrap(draw, session.display_title, title_font, WIDTH - 160)[:3]:
        draw.text((WIDTH / 2, y), line, font=title_font, fill="black", anchor="ma")
        y += 96
    info = _font(40)
    starts, ends = timezone.localtime(session.starts_at), timezone.localtime(session.ends_at)
    when = f"{starts.year}年{starts.month}月{starts.day}日 {starts:%H:%M}–{ends:%H:%M}"
    draw.text((WIDTH / 2, y + 20), when, font=info, fill=(60, 60, 60), anchor="ma")
    if session.venue_id:
        draw.text((WIDTH / 2, y + 80), session.venue.name, font=info, fill=(60, 60, 60), anchor="ma")

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=20, border=2)
    code.add_data(url)
    code.make(fit=True)
    qr_image = code.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    size = 820
    qr_image = qr_image.resize((size, size), Image.Resampling.NEAREST)
    top = max(y + 160, 560)
    image.paste(qr_image, ((WIDTH - size) // 2, top))

    hint = _font(44)
    lines = ["用手机扫描二维码，输入姓名和党员编号（或手机号）", "无需注册账号，无需下载应用"]
    for offset, line in enumerate(lines):
        draw.text((WIDTH / 2, top + size + 50 + offset * 64), line, font=hint, fill="black", anchor="ma")
    small = _font(28)
    draw.text((WIDTH / 2, HEIGHT - 60), url, font=small, fill=(120, 120, 120), anchor="ma")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
