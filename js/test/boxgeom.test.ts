import { describe, expect, it } from "vitest";
import {
  boxesEqual,
  boxFromPoints,
  clampBox,
  clampView,
  fitScale,
  imageToScreen,
  moveBox,
  normalise,
  resizeBox,
  screenToImage,
  viewOfRegion,
  visibleRegion,
  zoomAround,
} from "../src/lib/boxgeom";
import { BoxEditor, MERGE_MS } from "../src/lib/boxedit";

const STAGE = { left: 100, top: 50, width: 320, height: 240 };
const V1 = { zoom: 1, panX: 0, panY: 0 };

describe("screen <-> image", () => {
  it("fits the image in the stage (CSS scaling): 640 x 480 in 320 x 240 is 0.5 screen px per px", () => {
    expect(fitScale(STAGE, 640, 480)).toBe(0.5);
    expect(screenToImage(100, 50, STAGE, V1, 640, 480)).toEqual([0, 0]);
    expect(screenToImage(420, 290, STAGE, V1, 640, 480)).toEqual([640, 480]);
    expect(screenToImage(150, 75, STAGE, V1, 640, 480)).toEqual([100, 50]);
  });

  it("letterboxes an image of another aspect (centred)", () => {
    // 100 x 100 in 320 x 240: 2.4 px per px, 40 px bars left and right
    expect(fitScale(STAGE, 100, 100)).toBe(2.4);
    expect(screenToImage(140, 50, STAGE, V1, 100, 100)).toEqual([0, 0]);
    expect(imageToScreen(100, 100, STAGE, V1, 100, 100)).toEqual([380, 290]);
  });

  it("zoom and pan: the stage's centre shows the image's centre + pan", () => {
    const v = { zoom: 2, panX: 32, panY: -10 };
    // centre (260, 170) -> (352, 230); 1 screen px = 1 original px at zoom 2 x 0.5
    expect(screenToImage(260, 170, STAGE, v, 640, 480)).toEqual([352, 230]);
    expect(screenToImage(208, 80, STAGE, v, 640, 480)).toEqual([300, 140]);
    expect(imageToScreen(300, 140, STAGE, v, 640, 480)).toEqual([208, 80]);
  });

  it("round-trips at any zoom, pan and size", () => {
    for (const v of [V1, { zoom: 3.7, panX: 12.5, panY: -40 }, { zoom: 0.6, panX: 0, panY: 0 }]) {
      for (const [x, y] of [[0, 0], [639, 1], [123.25, 456.5]]) {
        const [sx, sy] = imageToScreen(x, y, STAGE, v, 640, 480);
        const [bx, by] = screenToImage(sx, sy, STAGE, v, 640, 480);
        expect(bx).toBeCloseTo(x, 9);
        expect(by).toBeCloseTo(y, 9);
      }
    }
  });

  it("a zero-sized stage (not laid out) does not give NaN", () => {
    const p = screenToImage(10, 10, { left: 0, top: 0, width: 0, height: 0 }, V1, 640, 480);
    expect(p.every(Number.isFinite)).toBe(true);
  });
});

describe("view", () => {
  it("clamps the pan to the image and the zoom to its range", () => {
    expect(clampView({ zoom: 1, panX: 50, panY: -50 }, 640, 480)).toEqual({ zoom: 1, panX: 0, panY: 0 });
    expect(clampView({ zoom: 2, panX: 500, panY: -500 }, 640, 480)).toEqual({ zoom: 2, panX: 160, panY: -120 });
    expect(clampView({ zoom: 1000, panX: 0, panY: 0 }, 640, 480).zoom).toBe(64);
    expect(clampView({ zoom: 0.01, panX: 9, panY: 9 }, 640, 480)).toEqual({ zoom: 0.5, panX: 0, panY: 0 });
  });

  it("zooms around a point, which stays where it is on the screen", () => {
    const v = zoomAround(V1, 1.25, 480, 360, 640, 480);
    expect(v).toEqual({ zoom: 1.25, panX: 32, panY: 24 });
    expect(imageToScreen(480, 360, STAGE, v, 640, 480)).toEqual(imageToScreen(480, 360, STAGE, V1, 640, 480));
  });

  it("a region's view shows it as large as it fits; visibleRegion is its inverse", () => {
    const v = viewOfRegion({ x1: 160, y1: 120, x2: 480, y2: 360 }, 640, 480);
    expect(v).toEqual({ zoom: 2, panX: 0, panY: 0 });
    expect(visibleRegion(v, 640, 480)).toEqual({ x1: 160, y1: 120, x2: 480, y2: 360 });
    expect(viewOfRegion({ x1: 0, y1: 0, x2: 320, y2: 120 }, 640, 480)).toEqual({ zoom: 2, panX: -160, panY: -120 });
  });
});

describe("boxes", () => {
  it("normalise, clamp (inside the image, 1 px at least), equality", () => {
    expect(normalise({ x1: 5, y1: 9, x2: 1, y2: 2 })).toEqual({ x1: 1, y1: 2, x2: 5, y2: 9 });
    expect(clampBox({ x1: -5, y1: 470, x2: 700, y2: 900 }, 640, 480)).toEqual({ x1: 0, y1: 470, x2: 640, y2: 480 });
    expect(clampBox({ x1: 10, y1: 10, x2: 10, y2: 10.5 }, 640, 480)).toEqual({ x1: 10, y1: 10, x2: 11, y2: 11 });
    expect(clampBox({ x1: 640, y1: 480, x2: 640, y2: 480 }, 640, 480)).toEqual({ x1: 639, y1: 479, x2: 640, y2: 480 });
    expect(boxesEqual({ x1: 1, y1: 2, x2: 3, y2: 4 }, { x1: 1 + 1e-7, y1: 2, x2: 3, y2: 4 })).toBe(true);
    expect(boxesEqual({ x1: 1, y1: 2, x2: 3, y2: 4 }, { x1: 1.001, y1: 2, x2: 3, y2: 4 })).toBe(false);
  });

  it("move keeps the size and stops at the edges", () => {
    const b = { x1: 10, y1: 10, x2: 50, y2: 30 };
    expect(moveBox(b, 5, -3, 640, 480)).toEqual({ x1: 15, y1: 7, x2: 55, y2: 27 });
    expect(moveBox(b, -100, 1000, 640, 480)).toEqual({ x1: 0, y1: 460, x2: 40, y2: 480 });
  });

  it("resize moves the handle's edges only, never past the other edge, inside the image", () => {
    const b = { x1: 100, y1: 100, x2: 200, y2: 200 };
    expect(resizeBox(b, "se", 10, 20, 640, 480)).toEqual({ x1: 100, y1: 100, x2: 210, y2: 220 });
    expect(resizeBox(b, "nw", -10, 5, 640, 480)).toEqual({ x1: 90, y1: 105, x2: 200, y2: 200 });
    expect(resizeBox(b, "n", 50, -30, 640, 480)).toEqual({ x1: 100, y1: 70, x2: 200, y2: 200 });
    expect(resizeBox(b, "e", -500, 0, 640, 480)).toEqual({ x1: 100, y1: 100, x2: 101, y2: 200 });
    expect(resizeBox(b, "w", 0, 0, 640, 480)).toEqual(b);
    expect(resizeBox(b, "sw", -500, 1000, 640, 480)).toEqual({ x1: 0, y1: 100, x2: 200, y2: 480 });
    expect(resizeBox(b, "ne", 1000, -1000, 640, 480)).toEqual({ x1: 100, y1: 0, x2: 640, y2: 200 });
    expect(resizeBox(b, "s", 0, -1000, 640, 480)).toEqual({ x1: 100, y1: 100, x2: 200, y2: 101 });
  });

  it("a box from two corners, any order, clamped", () => {
    expect(boxFromPoints(50, 60, 10, 20, 640, 480)).toEqual({ x1: 10, y1: 20, x2: 50, y2: 60 });
    expect(boxFromPoints(600, 400, 700, 900, 640, 480)).toEqual({ x1: 600, y1: 400, x2: 640, y2: 480 });
  });
});

describe("BoxEditor", () => {
  const model = () => [
    { id: "a", x1: 0, y1: 0, x2: 10, y2: 10, label: "car" },
    { id: "b", x1: 20, y1: 20, x2: 30, y2: 30, label: "bike" },
  ];

  it("merges key moves of one box within MERGE_MS of the last; not across boxes or pauses", () => {
    let t = 1000;
    const e = new BoxEditor(model(), 1000, () => t);
    t += 10;
    e.keyMove("a", { x1: 1, y1: 0, x2: 11, y2: 10 });
    t += MERGE_MS - 1;
    e.keyMove("a", { x1: 2, y1: 0, x2: 12, y2: 10 });
    t += MERGE_MS - 1;
    e.keyMove("a", { x1: 3, y1: 0, x2: 13, y2: 10 });
    e.keyMove("b", { x1: 21, y1: 20, x2: 31, y2: 30 });
    e.keyMove("a", { x1: 4, y1: 0, x2: 14, y2: 10 });
    t += MERGE_MS;
    e.keyMove("a", { x1: 5, y1: 0, x2: 15, y2: 10 });
    expect(e.ops.map((o) => [o.id, o.t_ms, o.before, o.after])).toEqual([
      ["a", 10, [0, 0, 10, 10], [3, 0, 13, 10]],
      ["b", 1608, [20, 20, 30, 30], [21, 20, 31, 30]],
      ["a", 1608, [3, 0, 13, 10], [4, 0, 14, 10]],
      ["a", 2408, [4, 0, 14, 10], [5, 0, 15, 10]],
    ]);
    // a merged move is one undo step
    e.undo();
    e.undo();
    e.undo();
    e.undo();
    expect(e.get("a")).toMatchObject({ x1: 0, x2: 10 });
    expect(e.get("b")).toMatchObject({ x1: 20, x2: 30 });
    expect(e.canUndo()).toBe(false);
    expect(e.unchanged()).toBe(true);
    expect(e.decision().action).toBe("accept");
  });

  it("counts new and deleted boxes; the edit rounds to 2 decimals", () => {
    const e = new BoxEditor(model(), 0, () => 0);
    e.remove("a", "key");
    e.add({ x1: 1.234, y1: 2.345, x2: 5.6789, y2: 7 }, "car", "mouse");
    expect(e.counts()).toEqual({ total: 2, added: 1, deleted: 1 });
    expect(e.decision()).toEqual({
      action: "edit",
      data: {
        boxes: [
          { id: "b", x1: 20, y1: 20, x2: 30, y2: 30, label: "bike" },
          { id: "new-1", x1: 1.23, y1: 2.35, x2: 5.68, y2: 7, label: "car" },
        ],
        ops: [
          { op: "delete", id: "a", t_ms: 0, via: "key", before: [0, 0, 10, 10], after: null },
          { op: "add", id: "new-1", t_ms: 0, via: "mouse", before: null, after: [1.23, 2.35, 5.68, 7] },
        ],
        box_ms: {},
      },
    });
  });

  it("box_ms stops while the entry is off screen", () => {
    let t = 0;
    const e = new BoxEditor(model(), 0, () => t);
    e.select("a");
    t = 100;
    e.setOnScreen(false);
    t = 5000;
    e.setOnScreen(true);
    t = 5050;
    e.select("b");
    t = 5060;
    expect(e.boxMs()).toEqual({ a: 150, b: 10 });
  });
});
