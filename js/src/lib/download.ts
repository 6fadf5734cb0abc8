/**
 * A file made in the browser, downloaded: a Blob, an object URL, a temporary
 * `<a download>` clicked, the URL revoked once the browser has taken it. Nothing is
 * fetched and nothing is parsed: the text goes into the Blob as it is.
 */

/** Download `text` as `filename` (`mime` its type). `parent`: where the temporary link
 * goes (default the body); `revokeAfterMs`: when the URL is revoked. */
export function downloadText(
  filename: string,
  mime: string,
  text: string,
  opts: { parent?: Element; revokeAfterMs?: number } = {},
): void {
  const blob = new Blob([text], { type: mime || "application/octet-stream" });
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = safeName(filename);
  a.rel = "noopener";
  a.hidden = true;
  (opts.parent ?? document.body).appendChild(a);
  try {
    a.click();
  } finally {
    a.remove();
    // (revoking at once can cancel the download in some browsers)
    setTimeout(() => URL.revokeObjectURL(url), opts.revokeAfterMs ?? 1000);
  }
}

/** A file name without path separators or control characters (a name, not a path). */
export function safeName(name: string): string {
  const s = String(name ?? "")
    .replace(/[\u0000-\u001f\u007f/\\]+/g, "_")
    .replace(/^\.+/, "")
    .trim();
  return s || "download";
}
