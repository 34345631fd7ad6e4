"""GIF: written here, frame by frame, with a palette of its own for every frame.

Each frame is quantised by libimagequant (render.quantize) to at most 255 colours plus a
transparent index, and carries only what changed: pixels whose shown colour is still
(nearly) as good as a new one are transparent, and the frame is cropped to the box around
the rest (disposal "do not dispose", so the viewer keeps the previous picture under it).
LZW is Pillow's encoder (`Image.tobytes("gif")`); the container -- header, loop block,
the provenance comment, one Graphic Control Extension and local colour table a frame --
is written here. Frames stream: memory holds two frames and what is on screen.

Three stages overlap on threads (libimagequant, the numba remap and Pillow's LZW release
the GIL): the palettes for the next few frames, the remap of frame k (which needs what
frame k-1 left on screen, so it runs in order), the LZW of frame k-1.
"""

from __future__ import annotations

import os
import struct
from collections import deque
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from render.formats import OutputFormat, register

# Browsers play GIF delays below 2 centiseconds as 10 cs, so anything over 50 fps would
# silently run at 10 fps; refuse instead.
GIF_MAX_FPS = 50
GIF_MAX_SIZE = 65535  # 16-bit width/height fields in the GIF header
# Palettes being computed ahead of the remap (each needs only its frame and the one
# before, so they run side by side); the frames they hold are all the memory GIF takes.
_AHEAD = 2


@dataclass(frozen=True)
class GifSettings:
    """How a GIF is quantised (bench/bench_gif.py measured these on the dream).

    `keep`: a pixel keeps what is shown unless a new colour is closer to the source by
    more than this squared RGB distance (48: about 4 levels a channel). Higher is smaller
    and blurrier in motion. `dither`: ordered-dither amplitude in levels (0: none); it
    breaks banding in slow gradients but costs size and PSNR. `colors`: palette size
    (1..255; one more index is the transparent one). `fps`: None keeps the frame rate;
    a lower one drops frames (the size budget's last resort)."""

    colors: int = 255
    keep: int = 48
    dither: float = 0.0
    speed: int = 10  # libimagequant's speed: 10 is fastest

    def __post_init__(self) -> None:
        if not 1 <= self.colors <= 255:
            raise ValueError(f"GIF colours must be 1..255, got {self.colors}")
        if self.keep < 0 or self.dither < 0:
            raise ValueError("GIF keep and dither must not be negative")

    def but(self, **changes: Any) -> GifSettings:
        return replace(self, **changes)


def _delays(fps: Fraction):
    """Centiseconds for frame 0, 1, ...: rounded on the running total, so 15 fps gives
    7, 6, 7, 7, 6, ... and the average is exact."""
    k = 0
    while True:
        yield round((k + 1) * 100 / fps) - round(k * 100 / fps)
        k += 1


def _sub_blocks(data: bytes) -> bytes:
    out = bytearray()
    for i in range(0, len(data), 255):
        chunk = data[i : i + 255]
        out += bytes([len(chunk)]) + chunk
    return bytes(out + b"\x00")


_MAX_DELAY = 65535  # centiseconds: the Graphic Control Extension's 16 bits


def _image_head(delay: int, clear: int, box: tuple[int, int, int, int], table) -> bytes:
    """A frame's Graphic Control Extension (disposal 1: keep; `clear` transparent), image
    descriptor at `box` (x, y, w, h), and 256-colour local table."""
    return (
        b"\x21\xf9\x04" + struct.pack("<BHB", 0x04 | 0x01, delay, clear) + b"\x00"
        + b"\x2c" + struct.pack("<HHHHB", *box, 0x80 | 7) + table.tobytes()
    )  # fmt: skip


def _lzw(indices: np.ndarray) -> bytes:
    """Image data for a frame: the LZW minimum code size (8) and the sub-blocks."""
    return b"\x08" + Image.fromarray(indices, "P").tobytes("gif", "P") + b"\x00"


class GifSink:
    """Encodes frames into a GIF file at `dest` (see the module docstring)."""

    def __init__(
        self,
        dest: Path,
        width: int,
        height: int,
        fps: Fraction,
        metadata: Mapping[str, str],
        options: Mapping[str, Any],
    ) -> None:
        from render import quantize

        self._q = quantize
        settings = options.get("gif", GifSettings())
        if not isinstance(settings, GifSettings):
            raise TypeError("options['gif'] must be a GifSettings")
        self.settings = settings
        self.width, self.height = width, height
        self._delays = _delays(fps)
        self._shown = np.zeros((height, width, 3), np.uint8)
        self._lut = quantize.new_lut()
        self._previous: np.ndarray | None = None
        self._first = True
        self._palettes: deque[tuple[np.ndarray, Future]] = deque()
        self._encoded: deque[Future] = deque()
        self._pool = ThreadPoolExecutor(2, thread_name_prefix="gif")
        self._file = open(dest, "wb")  # noqa: SIM115 -- closed by finish/abort
        try:
            self._file.write(
                b"GIF89a" + struct.pack("<HHBBB", width, height, 0x70, 0, 0)
                # NETSCAPE2.0: loop forever (0)
                + b"\x21\xff\x0bNETSCAPE2.0\x03\x01" + struct.pack("<H", 0) + b"\x00"
            )  # fmt: skip
            comment = metadata.get("comment", "")
            if comment:
                self._file.write(b"\x21\xfe" + _sub_blocks(comment.encode("utf-8")))
        except BaseException:
            self.abort()
            raise

    def write(self, frame: np.ndarray) -> None:
        frame = np.array(frame, dtype=np.uint8, copy=True)  # kept beyond this call
        s = self.settings
        job = self._pool.submit(self._q.palette_for, frame, self._previous, s.colors, s.speed)
        self._palettes.append((frame, job))
        self._previous = frame
        if len(self._palettes) > _AHEAD:
            self._remap_oldest()

    def _remap_oldest(self) -> None:
        frame, job = self._palettes.popleft()
        palette = job.result()
        n = len(palette.table)
        self._lut.fill(-1)
        indices = np.empty((self.height, self.width), np.uint8)
        y0, y1, x0, x1 = self._q.remap(
            frame, self._shown, palette, self._lut, indices, first=self._first,
            keep=self.settings.keep, dither=self.settings.dither, clear=n,
        )  # fmt: skip
        self._first = False
        if y1 <= y0:  # nothing to redraw: one transparent pixel keeps the frame's delay
            y0, y1, x0, x1 = 0, 1, 0, 1
        table = np.zeros((256, 3), np.uint8)
        table[:n] = palette.table
        delay = next(self._delays)
        head = _image_head(min(delay, _MAX_DELAY), n, (x0, y0, x1 - x0, y1 - y0), table)
        crop = np.ascontiguousarray(indices[y0:y1, x0:x1])
        # A frame longer than the 16-bit delay holds (655.35 s) is carried on by
        # transparent pixels, so the film keeps its length.
        rest = b""
        for more in range(_MAX_DELAY, delay, _MAX_DELAY):
            clear = np.full((1, 1), n, np.uint8)
            rest += _image_head(min(delay - more, _MAX_DELAY), n, (0, 0, 1, 1), table)
            rest += _lzw(clear)
        self._encoded.append(self._pool.submit(lambda: head + _lzw(crop) + rest))
        while len(self._encoded) > 2 or (self._encoded and self._encoded[0].done()):
            self._file.write(self._encoded.popleft().result())

    @property
    def bytes_written(self) -> int:
        """The file's size so far (a frame or two behind the frames given)."""
        return self._file.tell()

    def finish(self) -> None:
        while self._palettes:
            self._remap_oldest()
        while self._encoded:
            self._file.write(self._encoded.popleft().result())
        self._file.write(b"\x3b")
        self._file.close()
        self._pool.shutdown()

    def abort(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._file.close()


def _gif_blocks_start(head: bytes) -> int:
    """Offset just past the header, logical screen descriptor and global colour table."""
    if len(head) < 13 or head[:3] != b"GIF":
        raise ValueError("not a GIF file")
    packed = head[10]
    return 13 + (3 * 2 ** ((packed & 7) + 1) if packed & 0x80 else 0)


def read_gif_comments(path: str | os.PathLike[str]) -> list[str]:
    """The text of every Comment Extension in a GIF file, in order."""
    comments: list[str] = []
    with open(path, "rb") as f:
        f.seek(_gif_blocks_start(f.read(13)))

        def sub_blocks() -> bytes:
            data = bytearray()
            while (n := f.read(1)) and n[0]:
                data += f.read(n[0])
            return bytes(data)

        while (kind := f.read(1)) and kind != b"\x3b":  # 0x3B: trailer
            if kind == b"\x21":
                label = f.read(1)
                body = sub_blocks()
                if label == b"\xfe":
                    comments.append(body.decode("utf-8", "replace"))
            elif kind == b"\x2c":  # image: descriptor, local colour table, LZW data
                desc = f.read(9)
                if len(desc) < 9:
                    break
                if desc[8] & 0x80:
                    f.seek(3 * 2 ** ((desc[8] & 7) + 1), os.SEEK_CUR)
                f.read(1)  # LZW minimum code size
                sub_blocks()
            else:
                break  # not a GIF block: stop rather than guess
    return comments


GIF = register(
    OutputFormat(
        "gif",
        "GIF",
        (".gif",),
        max_side=GIF_MAX_SIZE,
        max_fps=GIF_MAX_FPS,
        fps_hint="browsers slow shorter frame delays to 10 fps; use 50, 25 or 20",
        sink=GifSink,
    )
)
