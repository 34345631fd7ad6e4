// The preview page: the frame at the playhead, a timeline of beats and curves, hot reload.
//
// Frames come from /frame. While scrubbing or playing they are proxies whose width adapts
// to how long the last ones took; when the playhead rests, the full-size PNG follows. At
// most two requests are out at once and only the newest wanted frame waits behind them,
// so fast scrubbing never queues frames: playback shows what arrives and drops the rest.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const client = Math.random().toString(36).slice(2, 10);
  const LADDER = [160, 240, 320, 480, 640, 960, 1280];
  const MAX_INFLIGHT = 2;
  const TL = { top: 30, row: 60, left: 130, right: 16, bottom: 24 };
  const CURVE_COLOURS = ["#5ee7ff", "#b48cff", "#7dff9b", "#ffb35e", "#ff6f91", "#f5f56b"];

  const S = {
    info: null, // /api/state
    tl: null, // its timeline
    frame: 0,
    playing: false,
    scrubbing: false,
    proxy: 3, // index in LADDER
    latency: 150, // ms, smoothed, of proxy frames
    adaptedAt: 0,
    inflight: 0,
    next: null, // the newest wanted frame not yet asked for
    asked: 0, // request counter
    shown: { n: 0, frame: -1, full: false, version: -1 },
    loadError: null,
    renderError: null,
    playStart: 0,
    playFrom: 0,
    laps: 0,
    shownTimes: [],
    keyHits: [],
    commandTimer: 0,
  };

  // ---------------------------------------------------------------- state and errors

  async function loadState() {
    const response = await fetch("/api/state", { cache: "no-store" });
    const info = await response.json();
    S.info = info;
    if (info.timeline) S.tl = info.timeline;
    document.body.dataset.version = String(info.version);
    $("title").textContent = info.title || "render preview";
    document.title = `${info.title || "preview"} · render preview`;
    $("file").textContent = info.file;
    if (S.tl) {
      $("scrub").max = String(S.tl.frames - 1);
      S.frame = Math.min(S.frame, S.tl.frames - 1);
      makeBeatButtons();
    }
    setLoadError(info.error);
    drawTimeline();
    showTime();
  }

  function setLoadError(message) {
    S.loadError = message || null;
    showError();
  }

  function setRenderError(message) {
    S.renderError = message || null;
    showError();
  }

  function showError() {
    const message = S.loadError || S.renderError;
    $("error").hidden = !message;
    $("error").textContent = message || "";
    document.body.dataset.error = message ? "1" : "0";
  }

  function status(text) {
    $("status").textContent = text;
  }

  // ---------------------------------------------------------------- frames

  function proxyWidth() {
    return Math.min(LADDER[S.proxy], S.info.size[0]);
  }

  function want() {
    if (!S.info || !S.info.size) return;
    const full = !S.playing && !S.scrubbing;
    const width = full ? S.info.size[0] : proxyWidth();
    S.next = { frame: S.frame, width, full, version: S.info.version };
    pump();
  }

  function pump() {
    while (S.next && S.inflight < MAX_INFLIGHT) {
      const job = S.next;
      S.next = null;
      const s = S.shown;
      if (job.frame === s.frame && job.version === s.version && (s.full || !job.full)) continue;
      request(job);
    }
  }

  async function request(job) {
    S.inflight += 1;
    const n = ++S.asked;
    const started = performance.now();
    try {
      const url = `/frame?i=${job.frame}&w=${job.width}&c=${client}&v=${job.version}`;
      const response = await fetch(url, { cache: "no-store" });
      if (response.status === 409) return; // superseded by a newer request of ours
      if (!response.ok) {
        const body = await response.json().catch(() => ({ error: response.statusText }));
        setRenderError(body.error);
        return;
      }
      const blob = await response.blob();
      if (!job.full) adapt(performance.now() - started);
      if (n > S.shown.n) show(blob, job, response.headers, n);
    } catch (err) {
      setRenderError("the preview server is not answering (stopped?)");
    } finally {
      S.inflight -= 1;
      pump();
    }
  }

  function adapt(ms) {
    // Keep proxies quick enough to show several frames a second while playing or
    // scrubbing; step down the ladder when they lag, up when there is room.
    S.latency = 0.7 * S.latency + 0.3 * ms;
    const now = performance.now();
    if (now - S.adaptedAt < 600) return;
    const budget = Math.max(2000 / S.tl.fps, 120);
    if (S.latency > 1.5 * budget && S.proxy > 0) {
      S.proxy -= 1;
      S.adaptedAt = now;
    } else if (S.latency < 0.5 * budget && S.proxy < LADDER.length - 1) {
      S.proxy += 1;
      S.adaptedAt = now;
    }
  }

  function show(blob, job, headers, n) {
    const view = $("view");
    const old = view.src;
    const url = URL.createObjectURL(blob);
    view.onload = () => {
      if (old.startsWith("blob:")) URL.revokeObjectURL(old);
    };
    view.src = url;
    S.shown = { n, frame: job.frame, full: job.full, version: job.version };
    view.dataset.frame = String(job.frame);
    view.dataset.full = job.full ? "1" : "0";
    view.dataset.version = String(job.version);
    const kind = job.full ? "full" : "proxy";
    $("badge").textContent =
      `${kind} ${headers.get("x-size")} · frame ${job.frame} · ${headers.get("x-render-ms")} ms`;
    setRenderError(null);
    const now = performance.now();
    S.shownTimes.push(now);
    while (S.shownTimes.length && S.shownTimes[0] < now - 1000) S.shownTimes.shift();
    if (S.playing) status(`playing · ${S.shownTimes.length} frames shown a second`);
  }

  // ---------------------------------------------------------------- the playhead

  function setFrame(frame) {
    if (!S.tl) return;
    S.frame = Math.max(0, Math.min(S.tl.frames - 1, Math.round(frame)));
    $("scrub").value = String(S.frame);
    showTime();
    drawTimeline();
    want();
    if (!S.playing) updateTakeOut();
  }

  function showTime() {
    if (!S.tl) return;
    const t = S.frame / S.tl.fps;
    $("time").textContent =
      `${t.toFixed(2)} s · frame ${S.frame} / ${S.tl.frames - 1} · ${S.tl.fps} fps`;
    document.body.dataset.frame = String(S.frame);
  }

  function updateTakeOut() {
    $("save").href = `/frame?i=${S.frame}&save=1`;
    clearTimeout(S.commandTimer);
    const frame = S.frame;
    S.commandTimer = setTimeout(async () => {
      const response = await fetch(`/api/still?i=${frame}`, { cache: "no-store" });
      if (response.ok && frame === S.frame) {
        const answer = await response.json();
        $("command").value = answer.command;
        $("save").download = answer.file;
      }
    }, 120);
  }

  function play() {
    if (!S.tl || S.playing) return;
    if (!S.tl.loop && S.frame >= S.tl.frames - 1) S.frame = 0;
    S.playing = true;
    S.playFrom = S.frame;
    S.playStart = performance.now();
    S.laps = 0;
    $("play").textContent = "❚❚";
    requestAnimationFrame(tick);
  }

  function pause() {
    if (!S.playing) return;
    S.playing = false;
    $("play").textContent = "▶";
    status(`paused · v${S.info.version}`);
    setFrame(S.frame);
  }

  function tick(now) {
    if (!S.playing) return;
    const frames = S.tl.frames;
    const along = S.playFrom + Math.floor(((now - S.playStart) / 1000) * S.tl.fps);
    if (along >= frames && !S.tl.loop) {
      setFrame(frames - 1);
      pause();
      return;
    }
    const laps = Math.floor(along / frames);
    if (laps > S.laps) {
      S.laps = laps;
      flashSeam();
    }
    const frame = along % frames;
    if (frame !== S.frame) setFrame(frame);
    requestAnimationFrame(tick);
  }

  function flashSeam() {
    $("seam").hidden = false;
    clearTimeout(S.seamTimer);
    S.seamTimer = setTimeout(() => ($("seam").hidden = true), 900);
  }

  function step(by) {
    pause();
    setFrame(S.frame + by);
  }

  function beats() {
    return S.tl ? S.tl.beats : [];
  }

  function jumpToBeat(k) {
    const beat = beats()[k];
    if (beat) {
      pause();
      setFrame(beat.frame);
    }
  }

  function nextBeat(direction) {
    const list = beats().map((b) => b.frame);
    const target =
      direction > 0
        ? list.find((f) => f > S.frame)
        : [...list].reverse().find((f) => f < S.frame);
    if (target !== undefined) {
      pause();
      setFrame(target);
    }
  }

  function makeBeatButtons() {
    const holder = $("beats");
    holder.replaceChildren();
    beats().forEach((beat, k) => {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = `${k + 1} ${beat.name}`;
      button.title = `Jump to ${beat.name} (${k + 1}) at ${beat.time.toFixed(2)} s`;
      button.dataset.beat = beat.name;
      button.addEventListener("click", () => jumpToBeat(k));
      holder.append(button);
    });
  }

  async function copyCommand() {
    const text = $("command").value;
    if (!text) return;
    try {
      await navigator.clipboard.writeText(text);
    } catch (err) {
      $("command").select();
      document.execCommand("copy");
    }
    status("command copied");
  }

  // ---------------------------------------------------------------- the timeline

  function layout() {
    const canvas = $("timeline");
    const rows = S.tl ? Math.max(1, S.tl.tracks.length) : 1;
    const width = canvas.parentElement.clientWidth;
    const height = TL.top + rows * TL.row + TL.bottom;
    const ratio = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
      canvas.style.height = `${height}px`;
    }
    return { width, height, ratio };
  }

  function xOf(t, width) {
    return TL.left + ((width - TL.left - TL.right) * t) / S.tl.duration;
  }

  function frameAt(x, width) {
    const t = ((x - TL.left) / (width - TL.left - TL.right)) * S.tl.duration;
    return Math.floor(t * S.tl.fps + 1e-6);
  }

  function drawTimeline() {
    if (!S.tl) return;
    const { width, height, ratio } = layout();
    const g = $("timeline").getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    g.font = "11px ui-monospace, monospace";
    g.lineWidth = 1;
    const bottom = height - TL.bottom;
    for (const t of ticks(S.tl.duration)) {
      const x = xOf(t, width);
      g.strokeStyle = "#2c2c38";
      g.beginPath();
      g.moveTo(x, TL.top);
      g.lineTo(x, bottom + 4);
      g.stroke();
      g.fillStyle = "#8a8a9a";
      g.fillText(`${+t.toFixed(3)}s`, x - 8, height - 8);
    }
    g.setLineDash([4, 4]);
    for (const beat of S.tl.beats) {
      const x = xOf(beat.time, width);
      g.strokeStyle = "#f06fbf";
      g.beginPath();
      g.moveTo(x, 12);
      g.lineTo(x, bottom);
      g.stroke();
      g.fillStyle = "#f06fbf";
      g.fillText(beat.name, x + 3, 12);
    }
    g.setLineDash([]);
    if (S.tl.loop) {
      const x = xOf(S.tl.duration, width);
      g.fillStyle = "#f06fbf";
      g.fillText("↻ seam", x - 48, TL.top - 4);
    }
    S.keyHits = [];
    S.tl.tracks.forEach((track, row) => drawTrack(g, track, row, width));
    const x = xOf(S.frame / S.tl.fps, width);
    g.strokeStyle = "#ffffff";
    g.lineWidth = 1.5;
    g.beginPath();
    g.moveTo(x, 4);
    g.lineTo(x, bottom);
    g.stroke();
    g.fillStyle = "#ffffff";
    g.beginPath();
    g.moveTo(x - 5, 4);
    g.lineTo(x + 5, 4);
    g.lineTo(x, 11);
    g.fill();
  }

  function drawTrack(g, track, row, width) {
    const top = TL.top + row * TL.row + 8;
    const h = TL.row - 18;
    const y = (v) => top + h - ((v - track.lo) / (track.hi - track.lo)) * h;
    const n = track.samples.length;
    g.fillStyle = "#d6d6e0";
    g.fillText(track.name, 8, top + 10);
    let ys;
    if (track.colour) {
      const x0 = xOf(0, width);
      const x1 = xOf(S.tl.duration, width);
      const band = g.createLinearGradient(x0, 0, x1, 0);
      track.samples.forEach((c, k) => band.addColorStop(k / (n - 1), c));
      g.fillStyle = band;
      g.fillRect(x0, top + h * 0.25, x1 - x0, h * 0.5);
      ys = track.keys.map(() => top + h / 2);
    } else {
      g.fillStyle = "#8a8a9a";
      g.fillText(fmt(track.hi), 8, top + 24);
      g.fillText(fmt(track.lo), 8, top + h);
      g.strokeStyle = CURVE_COLOURS[row % CURVE_COLOURS.length];
      g.lineWidth = 2;
      g.beginPath();
      track.samples.forEach((v, k) => {
        const x = xOf((S.tl.duration * k) / (n - 1), width);
        if (k) g.lineTo(x, y(v));
        else g.moveTo(x, y(v));
      });
      g.stroke();
      ys = track.keys.map((key) => y(key.value));
    }
    track.keys.forEach((key, k) => {
      const x = xOf(key.time, width);
      g.fillStyle = "#f8f8ff";
      g.strokeStyle = "#0e0e13";
      g.lineWidth = 1.5;
      g.beginPath();
      g.moveTo(x, ys[k] - 6);
      g.lineTo(x + 6, ys[k]);
      g.lineTo(x, ys[k] + 6);
      g.lineTo(x - 6, ys[k]);
      g.closePath();
      g.fill();
      g.stroke();
      S.keyHits.push({ x, y: ys[k], track, key });
    });
  }

  function fmt(v) {
    return typeof v === "number" ? String(+v.toPrecision(4)) : String(v);
  }

  function ticks(duration) {
    const raw = duration / 10;
    const power = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 5, 10].map((s) => s * power).find((s) => s >= raw);
    const out = [];
    for (let k = 0; k * step <= duration + 1e-9; k += 1) out.push(k * step);
    return out;
  }

  function hover(event) {
    const rect = $("timeline").getBoundingClientRect();
    const x = event.clientX - rect.left;
    const y = event.clientY - rect.top;
    let best = null;
    let bestDistance = 8;
    for (const hit of S.keyHits) {
      const d = Math.hypot(hit.x - x, hit.y - y);
      if (d <= bestDistance) {
        best = hit;
        bestDistance = d;
      }
    }
    const tip = $("tip");
    if (!best || S.scrubbing) {
      tip.hidden = true;
      return;
    }
    const { key, track } = best;
    const where = key.line ? `${S.info.file}:${key.line}` : S.info.file;
    tip.textContent =
      `${where}\n${key.source || "(line unknown)"}\n` +
      `${track.name} = ${fmt(key.value)} at ${key.time.toFixed(2)} s, ease ${key.ease}`;
    tip.hidden = false;
    tip.style.left = `${Math.min(best.x + 12, rect.width - tip.offsetWidth - 4)}px`;
    tip.style.top = `${best.y + 12}px`;
  }

  // ---------------------------------------------------------------- wiring

  function scrubTo(event) {
    const rect = $("timeline").getBoundingClientRect();
    setFrame(frameAt(event.clientX - rect.left, rect.width));
  }

  function wire() {
    const canvas = $("timeline");
    canvas.addEventListener("pointerdown", (event) => {
      pause();
      S.scrubbing = true;
      canvas.setPointerCapture(event.pointerId);
      scrubTo(event);
    });
    canvas.addEventListener("pointermove", (event) => {
      if (S.scrubbing) scrubTo(event);
      hover(event);
    });
    const release = () => {
      if (!S.scrubbing) return;
      S.scrubbing = false;
      want();
    };
    canvas.addEventListener("pointerup", release);
    canvas.addEventListener("pointercancel", release);
    canvas.addEventListener("pointerleave", () => ($("tip").hidden = true));

    const scrub = $("scrub");
    scrub.addEventListener("input", () => {
      pause();
      S.scrubbing = true;
      setFrame(Number(scrub.value));
    });
    scrub.addEventListener("change", () => {
      S.scrubbing = false;
      setFrame(Number(scrub.value));
    });

    $("play").addEventListener("click", () => (S.playing ? pause() : play()));
    $("back").addEventListener("click", () => step(-1));
    $("fwd").addEventListener("click", () => step(1));
    $("first").addEventListener("click", () => step(-Infinity));
    $("last").addEventListener("click", () => step(Infinity));
    $("copy").addEventListener("click", copyCommand);

    document.addEventListener("keydown", (event) => {
      const target = event.target;
      if (target.tagName === "INPUT" && target.type !== "range") return;
      if (event.ctrlKey || event.metaKey || event.altKey || !S.tl) return;
      const second = Math.round(S.tl.fps);
      switch (event.key) {
        case " ": S.playing ? pause() : play(); break;
        case "ArrowLeft": step(event.shiftKey ? -second : -1); break;
        case "ArrowRight": step(event.shiftKey ? second : 1); break;
        case "Home": step(-Infinity); break;
        case "End": step(Infinity); break;
        case "[": nextBeat(-1); break;
        case "]": nextBeat(1); break;
        case "s": case "S": $("save").click(); break;
        case "c": case "C": copyCommand(); break;
        default:
          if (/^[1-9]$/.test(event.key)) jumpToBeat(Number(event.key) - 1);
          else return;
      }
      event.preventDefault();
    });
    window.addEventListener("resize", drawTimeline);

    const events = new EventSource("/api/events");
    events.addEventListener("state", async (event) => {
      const message = JSON.parse(event.data);
      if (S.info && message.version !== S.info.version) {
        await loadState();
        status(`reloaded ${new Date().toLocaleTimeString()} · v${S.info.version}`);
        want();
      }
      setLoadError(message.error);
    });
    events.onerror = () => status("the preview server is not answering; retrying…");
  }

  async function start() {
    wire();
    await loadState();
    status(`v${S.info.version}`);
    setFrame(0);
  }

  start();
})();
