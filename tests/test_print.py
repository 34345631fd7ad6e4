"""Print output: paper and physical sizes, DPI in PNGs, vector PDF/SVG pages, the memory
refusal and the out-of-gamut warning. Most renders are tiny (20-40 dpi); the A3 at 300 dpi
renders at the end produce the real thing."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import cairo
import numpy as np
import pypdf
import pytest
from click.testing import CliRunner
from PIL import Image

from render import printing
from render.cli import cli
from render.effects import chromatic_aberration
from render.errors import RenderError
from render.frame import Renderer
from render.palette import find_palette
from render.sequence import load_sequence
from render.units import (
    MAX_SIDE,
    LimitError,
    is_physical_size,
    paper_size,
    parse_physical_size,
    print_pixels,
)

ROOT = Path(__file__).resolve().parents[1]
DREAM = str(ROOT / "sequences" / "dream.toml")
SVG = "{http://www.w3.org/2000/svg}"
A4_PT = (841.889764, 595.275591)  # landscape, 297 x 210 mm


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def only(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir())


# --------------------------------------------------------------------------- sizes


def test_paper_sizes_at_300_dpi():
    assert print_pixels(*paper_size("A3"), 300) == (4961, 3508)
    assert print_pixels(*paper_size("a3", portrait=True), 300) == (3508, 4961)
    assert print_pixels(*paper_size("A4"), 300) == (3508, 2480)
    assert print_pixels(*paper_size("A2"), 300) == (7016, 4961)
    assert paper_size("letter") == (11.0, 8.5, "in")
    assert print_pixels(*paper_size("letter"), 300) == (3300, 2550)
    assert print_pixels(*paper_size("Tabloid", portrait=True), 300) == (3300, 5100)


def test_unknown_paper_suggests_a_name():
    with pytest.raises(ValueError, match='did you mean "letter"'):
        paper_size("leter")
    with pytest.raises(ValueError, match="a4, a3, a2, letter, tabloid"):
        paper_size("a5")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30x20cm", (30.0, 20.0, "cm")),
        ("12x8in", (12.0, 8.0, "in")),
        ("420x297mm", (420.0, 297.0, "mm")),
        (" 12.5 X 8 IN ", (12.5, 8.0, "in")),
        ("30cmx200mm", (300.0, 200.0, "mm")),
    ],
)
def test_physical_sizes_parse(text, expected):
    assert is_physical_size(text)
    assert parse_physical_size(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["30x20", "30x20km", "x20cm", "0x20cm", "30cm", "-3x2in"])
def test_bad_physical_sizes_are_refused(text):
    with pytest.raises(ValueError):
        parse_physical_size(text)


def test_physical_size_pixels_round_half_up_and_respect_the_side_limit():
    assert print_pixels(30, 20, "cm", 25.4) == (300, 200)  # 25.4 dpi = 1 px/mm
    assert print_pixels(12, 8, "in", 20) == (240, 160)
    assert print_pixels(1, 1, "in", 2.5) == (3, 3)  # 2.5 rounds up, not to even
    with pytest.raises(ValueError, match=str(MAX_SIDE)):
        print_pixels(*paper_size("A2"), 1200)


def test_plan_still_defaults_and_conflicts(tmp_path):
    plain = printing.plan_still(tmp_path / "x.png", (64, 36))
    assert not plain.is_print and plain.pixels == (64, 36)
    # A PDF without a physical size is the frame's pixels at 300 dpi.
    pdf = printing.plan_still(tmp_path / "x.pdf", (600, 300))
    assert pdf.dpi == 300 and pdf.inches == pytest.approx((2.0, 1.0))
    sized = printing.plan_still(tmp_path / "x.png", (64, 36), (30.0, 20.0, "cm"))
    assert sized.dpi == 300 and sized.pixels == (3543, 2362)
    tall = printing.plan_still(tmp_path / "x.png", (64, 36), (30.0, 20.0, "cm"), portrait=True)
    assert tall.page == (20.0, 30.0, "cm") and tall.pixels == (2362, 3543)
    with pytest.raises(RenderError, match="only one"):
        printing.plan_still(tmp_path / "x.png", (64, 36), (30.0, 20.0, "cm"), paper="A4")
    with pytest.raises(RenderError, match="--portrait"):
        printing.plan_still(tmp_path / "x.png", (64, 36), portrait=True)
    with pytest.raises(RenderError, match=r"\.png, \.pdf or \.svg"):
        printing.plan_still(tmp_path / "x.tiff", (64, 36))


# --------------------------------------------------------------------------- PNG


def test_png_on_paper_carries_its_dpi(tmp_path):
    out = tmp_path / "a4.png"
    result = run("still", DREAM, "--at", "40%", "--paper", "A4", "--dpi", "30", "-o", str(out))
    assert result.exit_code == 0, result.output
    im = Image.open(out)
    assert im.size == (351, 248)  # 297 x 210 mm at 30 dpi
    # pHYs stores whole pixels per metre: 30 dpi is 1181 px/m, 29.997 dpi read back.
    assert im.info["dpi"] == pytest.approx((30, 30), abs=0.02)
    assert im.text["Size"] == "351x248"
    assert "A4 landscape" in result.stderr
    assert only(tmp_path) == ["a4.png"]


def test_portrait_and_physical_sizes_on_the_command_line(tmp_path):
    tall = tmp_path / "tall.png"
    assert run("still", DREAM, "--at", "0", "--paper", "a4", "--portrait", "--dpi", "20",
               "-o", str(tall), "-q").exit_code == 0  # fmt: skip
    assert Image.open(tall).size == (165, 234)
    cm = tmp_path / "cm.png"
    assert run("still", DREAM, "--at", "0", "--size", "30x20cm", "--dpi", "25.4",
               "-o", str(cm), "-q").exit_code == 0  # fmt: skip
    im = Image.open(cm)
    assert im.size == (300, 200)
    assert im.info["dpi"] == pytest.approx((25.4, 25.4), abs=0.02)
    inch = tmp_path / "in.png"
    assert run("still", DREAM, "--at", "0", "--size", "12x8in", "--dpi", "20",
               "-o", str(inch), "-q").exit_code == 0  # fmt: skip
    assert Image.open(inch).size == (240, 160)


def test_a_plain_still_has_no_dpi_and_no_warning(tmp_path):
    out = tmp_path / "plain.png"
    result = run("still", DREAM, "--at", "0", "--size", "64x36", "-o", str(out))
    assert result.exit_code == 0
    assert "dpi" not in Image.open(out).info
    assert "warning" not in result.stderr


def test_too_many_pixels_for_the_paper_is_a_limit_error(tmp_path):
    out = tmp_path / "x.png"
    result = CliRunner().invoke(
        cli, ["still", DREAM, "--at", "0", "--paper", "A2", "--dpi", "1200", "-o", str(out)]
    )
    assert result.exit_code == 2
    assert "--paper: 594x420mm at 1200 dpi is 28063x19843 pixels" in result.output
    assert only(tmp_path) == []


def test_paper_and_size_together_are_refused_before_rendering(tmp_path):
    out = tmp_path / "x.png"
    result = CliRunner().invoke(
        cli, ["still", DREAM, "--at", "0", "--paper", "A4", "--size", "30x20cm", "-o", str(out)]
    )
    assert result.exit_code != 0 and "only one" in result.output
    assert "Traceback" not in result.output
    assert only(tmp_path) == []


# --------------------------------------------------------------------------- PDF


def _pdf_still(tmp_path: Path, *extra: str) -> tuple[Path, object]:
    out = tmp_path / "dream.pdf"
    result = run("still", DREAM, "--at", "88%", "--paper", "A4", "--dpi", "30", "-o", str(out),
                 *extra)  # fmt: skip
    assert result.exit_code == 0, result.output
    return out, result


def _image_xobjects(page) -> list:
    xobjects = page["/Resources"]["/XObject"]
    return [x.get_object() for x in xobjects.values() if x.get_object()["/Subtype"] == "/Image"]


def _drawn(page) -> list[tuple[str, str, object]]:
    """What the page draws, in order: ("/Image" or "/Form", blend mode, the XObject)."""
    resources = page["/Resources"]
    states = {k: v.get_object() for k, v in resources["/ExtGState"].items()}
    xobjects = resources["/XObject"]
    drawn, blend = [], "/Normal"
    for operands, op in pypdf.generic.ContentStream(page.get_contents(), None).operations:
        if op == b"gs":
            blend = states[operands[0]].get("/BM", blend)
        elif op == b"Do":
            ref = xobjects.raw_get(operands[0])
            drawn.append((ref.get_object()["/Subtype"], blend, ref))
    return drawn


def test_pdf_is_a_paper_page_with_an_image_under_vector_strokes(tmp_path):
    out, result = _pdf_still(tmp_path)
    reader = pypdf.PdfReader(out)
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert [float(v) for v in page.mediabox[2:]] == pytest.approx(A4_PT, abs=0.01)
    # First the raster at the requested DPI, then over it the strokes of the red, green and
    # blue planes (the dream is chromatically aberrated at 88%), each a transparency group
    # laid over the raster with Lighten.
    drawn = _drawn(page)
    assert [(kind, blend) for kind, blend, _ in drawn] == [("/Image", "/Normal")] + [
        ("/Form", "/Lighten")
    ] * 3
    image = drawn[0][2]
    assert (image.get_object()["/Width"], image.get_object()["/Height"]) == (351, 248)
    for _, _, ref in drawn[1:]:
        form = ref.get_object()
        assert form["/Group"]["/S"] == "/Transparency"
        content = form.get_data()
        assert len(re.findall(rb"\bS\b", content)) > 50  # hundreds of stroked paths
        assert len(re.findall(rb" l\b", content)) > 300
        # Shapes hiding strokes are painted again from the same raster: no other image,
        # no fallback image -- everything the vector pass draws is native PDF.
        for x in form["/Resources"].get("/XObject", {}).values():
            assert x.idnum == image.idnum
    assert "A4 landscape" in result.stderr
    assert only(tmp_path) == ["dream.pdf"]


def test_pdf_without_aberration_has_one_stroke_group(tmp_path):
    plain = tmp_path / "plain.toml"
    plain.write_text('[sequence]\nduration = 2\nsize = "64x36"\npalette = "print"\n')
    out = tmp_path / "plain.pdf"
    assert run("still", str(plain), "--at", "1", "--dpi", "20", "-o", str(out)).exit_code == 0
    drawn = _drawn(pypdf.PdfReader(out).pages[0])
    assert [(kind, blend) for kind, blend, _ in drawn] == [
        ("/Image", "/Normal"),
        ("/Form", "/Lighten"),
    ]


def test_pdf_raster_is_the_still_pixel_for_pixel(tmp_path):
    out, _ = _pdf_still(tmp_path)
    png = tmp_path / "dream.png"
    run("still", DREAM, "--at", "88%", "--paper", "A4", "--dpi", "30", "-o", str(png), "-q")
    embedded = np.asarray(pypdf.PdfReader(out).pages[0].images[0].image.convert("RGB"))
    assert np.array_equal(embedded, np.asarray(Image.open(png).convert("RGB")))


def test_pdf_metadata_carries_the_provenance(tmp_path):
    out, _ = _pdf_still(tmp_path, "--seed", "4242")
    meta = pypdf.PdfReader(out).metadata
    assert meta.title == "I am dreaming"
    assert meta.creator.startswith("neon-dream-render ")
    record = json.loads(meta.subject)
    assert record["Seed"] == "4242"
    assert len(record["SequenceSHA256"]) == 64
    assert "seed 4242" in meta["/Keywords"] and record["SequenceSHA256"] in meta["/Keywords"]


def test_neon_on_paper_warns_once_print_palette_does_not(tmp_path):
    _, result = _pdf_still(tmp_path)
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1
    assert '"neon"' in warnings[0] and "#3f5bff" in warnings[0] and "CMYK" in warnings[0]
    calm = tmp_path / "calm.toml"
    calm.write_text('[sequence]\nduration = 2\nsize = "64x36"\npalette = "print"\n')
    result = run("still", str(calm), "--at", "1", "--dpi", "20", "-o", str(tmp_path / "c.pdf"))
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr


# --------------------------------------------------------------------------- SVG


def test_svg_has_physical_size_paths_one_image_and_metadata(tmp_path):
    out = tmp_path / "dream.svg"
    result = run("still", DREAM, "--at", "88%", "--paper", "A4", "--dpi", "30", "-o", str(out),
                 "-q")  # fmt: skip
    assert result.exit_code == 0, result.output
    root = ET.parse(out).getroot()
    assert root.tag == f"{SVG}svg"
    # cairo writes the size in the document unit we choose: the paper's own millimetres.
    assert (root.get("width"), root.get("height")) == ("297mm", "210mm")
    assert root.get("viewBox") == "0 0 297 210"
    images = list(root.iter(f"{SVG}image"))
    assert len(images) == 1
    assert (images[0].get("width"), images[0].get("height")) == ("351", "248")
    paths = list(root.iter(f"{SVG}path"))
    light = [p for p in paths if "mix-blend-mode:lighten" in (p.get("style") or "")]
    assert len(light) > 50 and all("stroke:rgb(" in p.get("style") for p in light)
    assert root.find(f"{SVG}title").text == "I am dreaming"
    record = json.loads(root.find(f"{SVG}metadata")[0].text)
    assert record["Seed"] == "1117" and len(record["SequenceSHA256"]) == 64
    assert only(tmp_path) == ["dream.svg"]


def test_svg_in_inches_for_us_paper(tmp_path):
    out = tmp_path / "letter.svg"
    assert run("still", DREAM, "--at", "0", "--paper", "letter", "--portrait", "--dpi", "20",
               "-o", str(out), "-q").exit_code == 0  # fmt: skip
    root = ET.parse(out).getroot()
    assert (root.get("width"), root.get("height")) == ("8.5in", "11in")


# --------------------------------------------------------------------------- atomicity


class _Exploding:
    """A renderer whose vector pass fails halfway through the page."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def draw(self, cr, index):
        cr.move_to(0, 0)
        cr.line_to(10, 10)
        cr.set_operator(cairo.OPERATOR_ADD)
        cr.set_source_rgb(1, 0, 0)
        cr.stroke()
        raise self.exc


@pytest.mark.parametrize("suffix", [".pdf", ".svg"])
@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt()])
def test_failed_vector_write_leaves_nothing_and_keeps_the_old_file(tmp_path, suffix, exc):
    out = tmp_path / f"page{suffix}"
    out.write_bytes(b"previous")
    job = printing.plan_still(out, (40, 20), dpi=20)
    rgb = np.zeros((20, 40, 3), np.uint8)
    with pytest.raises(type(exc)):
        printing.write_vector(out, job, _Exploding(exc), 0, rgb, {"Seed": "1"})
    assert out.read_bytes() == b"previous"
    assert only(tmp_path) == [out.name]


def test_unwritable_target_is_a_render_error(tmp_path):
    out = tmp_path / "page.pdf"
    out.mkdir()  # a folder where the file should go: the final rename fails
    job = printing.plan_still(out, (40, 20), dpi=20)

    class Calm:
        def draw(self, cr, index):
            pass

    with pytest.raises(RenderError, match="can't write PDF"):
        printing.write_vector(out, job, Calm(), 0, np.zeros((20, 40, 3), np.uint8), {})
    assert only(tmp_path) == ["page.pdf"] and out.is_dir()


# --------------------------------------------------------------------------- vector pass


def _light_pass(grey: int = 100):
    """A 40x20 raster of flat grey under a LightStrokes on an image surface."""
    raster = np.full((20, 40, 3), grey, np.uint8)
    image = printing._image_surface(raster)
    target = cairo.ImageSurface(cairo.FORMAT_RGB24, 40, 20)
    cr = cairo.Context(target)
    cr.set_source_surface(image)
    cr.paint()
    light = printing.LightStrokes(cr, image, cr.get_matrix())
    return light, target


def _pixels(surface: cairo.ImageSurface) -> np.ndarray:
    surface.flush()
    w, h = surface.get_width(), surface.get_height()
    buf = np.ndarray((h, surface.get_stride() // 4, 4), np.uint8, surface.get_data())
    return buf[:, :w, [2, 1, 0]].copy()


def test_light_strokes_lighten_covers_repaint_and_the_rest_is_dropped():
    light, target = _light_pass()
    light.set_operator(cairo.OPERATOR_ADD)
    light.set_source_rgb(1.0, 0.0, 0.0)
    light.paint()  # an additive wash: already in the raster, dropped
    light.rectangle(0, 0, 40, 20)
    light.fill()  # an additive fill: dropped too
    assert (_pixels(target) == 100).all()
    light.set_line_width(4)
    light.move_to(0, 10)
    light.line_to(40, 10)
    light.stroke()  # light: Lighten keeps the brighter red, never adds
    px = _pixels(target)
    assert tuple(px[10, 20]) == (255, 100, 100)
    assert tuple(px[2, 20]) == (100, 100, 100)
    light.set_source_rgba(0.0, 0.0, 1.0, 0.1)
    light.move_to(0, 2)
    light.line_to(40, 2)
    light.stroke()  # too faint for a vector stroke
    assert tuple(_pixels(target)[2, 20]) == (100, 100, 100)
    # A dark shape drawn OVER hides the left half of the stroke: it comes back from the raster.
    light.set_operator(cairo.OPERATOR_OVER)
    light.set_source_rgb(0.0, 0.0, 0.0)
    light.rectangle(0, 0, 20, 20)
    light.fill()
    px = _pixels(target)
    assert tuple(px[10, 5]) == (100, 100, 100) and tuple(px[10, 30]) == (255, 100, 100)
    assert (light.kept, light.covered) == (1, 1)
    assert not light.has_current_point()  # fill and stroke consumed their paths


def test_lighten_never_darkens_and_never_adds_to_a_brighter_raster():
    light, target = _light_pass(grey=230)
    light.set_operator(cairo.OPERATOR_ADD)
    light.set_source_rgb(0.5, 1.0, 0.5)
    light.set_line_width(6)
    light.move_to(0, 10)
    light.line_to(40, 10)
    light.stroke()
    assert tuple(_pixels(target)[10, 20]) == (230, 255, 230)


def _centroids(row: np.ndarray) -> list[float]:
    x = np.arange(row.shape[0], dtype=float)
    return [float((x * row[:, c]).sum() / row[:, c].sum()) for c in range(3)]


def test_aberrated_strokes_land_where_the_raster_puts_each_plane():
    w, h, amount = 200, 100, 0.02
    surface = cairo.ImageSurface(cairo.FORMAT_RGB24, w, h)
    cr = cairo.Context(surface)
    cr.set_source_rgb(1, 1, 1)
    cr.set_line_width(2)
    cr.move_to(170, 0)
    cr.line_to(170, h)
    cr.stroke()
    raster = chromatic_aberration(_pixels(surface), amount)
    want = _centroids(raster[50])
    assert want[0] > want[1] + 2 > want[2] + 4  # red out, blue in, by ~2.8 px each

    image = printing._image_surface(np.zeros((h, w, 3), np.uint8))
    target = cairo.ImageSurface(cairo.FORMAT_RGB24, w, h)
    ctx = cairo.Context(target)
    planes = printing.colour_planes(w, h, (1 + 2 * amount, 1 - 2 * amount))
    light = printing.LightStrokes(ctx, image, ctx.get_matrix(), planes=planes)
    light.set_operator(cairo.OPERATOR_ADD)
    light.set_source_rgb(1, 1, 1)
    light.set_line_width(2)
    light.move_to(170, 0)
    light.line_to(170, h)
    light.stroke()
    assert _centroids(_pixels(target)[50]) == pytest.approx(want, abs=0.25)


def test_aberration_follows_the_sequence():
    seq = load_sequence(DREAM).replace(size=(640, 360))
    renderer = Renderer(seq)
    red, blue = printing.aberration_zooms(renderer, seq.index_at(0.74 * seq.duration))
    assert red > 1.002 and blue < 0.998 and red - 1 == pytest.approx(1 - blue)
    # ...and it is the sequence's own amount at that moment, not a constant.
    earlier = printing.aberration_zooms(renderer, seq.index_at(0.5 * seq.duration))
    assert earlier[0] < red
    plain = seq.replace(effects=[e for e in seq.effects if e.type != "chromatic_aberration"])
    assert printing.aberration_zooms(Renderer(plain), 0) is None


# --------------------------------------------------------------------------- memory


def test_memory_estimate_matches_what_was_measured():
    # Measured with /usr/bin/time -v: 753 MB peak RSS for A3 and 1.31 GB for A2 at 300 dpi.
    a3, a2 = printing.estimate_bytes(4961, 3508), printing.estimate_bytes(7016, 4961)
    assert 0.75e9 <= a3 <= 1.1e9
    assert 1.31e9 <= a2 <= 1.8e9
    printing.check_memory(7016, 4961, available=24 * 2**30)  # fits a 24 GB machine
    with pytest.raises(LimitError, match=r"needs about 1\.\d GiB .* only 1\.0 GiB"):
        printing.check_memory(7016, 4961, available=2**30)


def test_a_still_too_big_for_memory_is_refused_up_front(tmp_path, monkeypatch):
    monkeypatch.setattr(printing, "available_memory", lambda: 200 * 2**20)
    out = tmp_path / "a2.pdf"
    result = CliRunner().invoke(cli, ["still", DREAM, "--at", "0", "--paper", "A2", "-o", str(out)])
    assert result.exit_code == 2
    assert "7016x4961" in result.output and "lower --dpi" in result.output
    assert "Traceback" not in result.output
    assert only(tmp_path) == []


# --------------------------------------------------------------------------- gamut


def test_gamut_heuristic_flags_neon_and_passes_the_print_palette():
    neon = {role for role, _, _ in printing.out_of_gamut(find_palette("neon"))}
    assert {"primary", "secondary", "alert", "glow"} <= neon
    printable = find_palette("print")
    assert printable.print_safe
    assert printing.out_of_gamut(printable) == []
    assert printing.gamut_warning(printable) is None


def test_gamut_heuristic_on_single_colours():
    assert printing.gamut_excess((0.0, 0.0, 1.0)) > 0.1  # sRGB blue: far outside
    assert printing.gamut_excess((0.0, 1.0, 1.0)) > 0.05  # sRGB cyan: light and saturated
    assert printing.gamut_excess((0.5, 0.5, 0.5)) < 0  # grey prints
    assert printing.gamut_excess((0.55, 0.3, 0.25)) < 0  # a muted brick red prints
    # The model's ink corners sit on its boundary; paper white and black are inside.
    for name, lab in printing._FOGRA39_LAB.items():
        L, a, b = printing.lab_d50_to_oklab(lab)
        C, h = np.hypot(a, b), np.arctan2(b, a) % (2 * np.pi)
        excess = C - printing.print_chroma_limit(L, h)
        if name in ("paper", "black"):
            assert excess < printing.GAMUT_TOLERANCE
        else:
            assert excess == pytest.approx(0.0, abs=1e-9)


# --------------------------------------------------------------------------- the real size


@pytest.fixture(scope="module")
def dream_a3(tmp_path_factory):
    """The dream on A3 at 300 dpi, rendered once (17 megapixels): the PNG through the
    command line, the PDF and SVG pages written from the same raster, so the vector
    writers are exercised at full size without rendering the frame three times."""
    folder = tmp_path_factory.mktemp("a3")
    png = folder / "dream-a3.png"
    result = run("still", DREAM, "--at", "88%", "--paper", "A3", "-o", str(png), "-q")
    assert result.exit_code == 0, result.output
    rgb = np.asarray(Image.open(png).convert("RGB"))
    for suffix in (".pdf", ".svg"):
        out = folder / f"dream-a3{suffix}"
        seq = load_sequence(DREAM)
        job = printing.plan_still(out, seq.size, None, "A3", False, None)
        seq = seq.replace(size=job.pixels)
        index = seq.index_at(0.88 * seq.duration)
        printing.write_vector(out, job, Renderer(seq), index, rgb, {})
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".png", ".pdf", ".svg"])
def test_the_dream_on_a3_at_300_dpi(dream_a3, suffix):
    out = dream_a3 / f"dream-a3{suffix}"
    if suffix == ".png":
        im = Image.open(out)
        assert im.size == (4961, 3508)
        assert im.info["dpi"] == pytest.approx((300, 300), abs=0.02)
    elif suffix == ".pdf":
        page = pypdf.PdfReader(out).pages[0]
        assert [float(v) for v in page.mediabox[2:]] == pytest.approx((1190.55, 841.89), abs=0.01)
        images = _image_xobjects(page)
        assert [(i["/Width"], i["/Height"]) for i in images] == [(4961, 3508)]
    else:
        with out.open("rb") as f:
            head = f.read(4096).decode()
        assert 'width="420mm" height="297mm"' in head
        root = ET.parse(out).getroot()
        [image] = root.iter(f"{SVG}image")
        assert (image.get("width"), image.get("height")) == ("4961", "3508")
    assert sorted(p.name for p in dream_a3.iterdir()) == [
        "dream-a3.pdf",
        "dream-a3.png",
        "dream-a3.svg",
    ]  # nothing else left beside them
