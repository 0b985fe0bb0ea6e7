import { describe, it, expect } from "vitest";
import { NORMAL, URGENT } from "./queue.ts";
import { Sim } from "./sim.ts";

describe("Sim", () => {
  it("new Sim() starts at now = 0 with no events", () => {
    const sim = new Sim();
    expect(sim.now).toBe(0);
    expect(sim.nextEventTime()).toBe(Infinity);
  });

  it("on() returns kinds 0, 1, 2 …", () => {
    const sim = new Sim();
    expect(sim.on(() => {})).toBe(0);
    expect(sim.on(() => {})).toBe(1);
    expect(sim.on(() => {})).toBe(2);
  });

  it("advanceTo(t) fires events due at or before t, in time order, with their arg and time", () => {
    const sim = new Sim();
    const fired: [string, number, number][] = [];
    const a = sim.on((arg, now) => fired.push(["a", arg, now]));
    const b = sim.on((arg, now) => fired.push(["b", arg, now]));
    sim.at(300, a, 3);
    sim.at(100, b, 1);
    sim.at(200, a, 2);
    sim.at(201, b, 4);
    sim.advanceTo(200);
    expect(fired).toEqual([
      ["b", 1, 100],
      ["a", 2, 200],
    ]);
    expect(sim.now).toBe(200);
    expect(sim.nextEventTime()).toBe(201);
    sim.advanceTo(1000);
    expect(fired).toEqual([
      ["b", 1, 100],
      ["a", 2, 200],
      ["b", 4, 201],
      ["a", 3, 300],
    ]);
    expect(sim.now).toBe(1000);
  });

  it("advanceTo(t) sets now to each event's time while its handler runs", () => {
    const sim = new Sim();
    const seen: number[] = [];
    const k = sim.on(() => seen.push(sim.now));
    sim.at(10, k);
    sim.at(25, k);
    sim.advanceTo(30);
    expect(seen).toEqual([10, 25]);
    expect(sim.now).toBe(30);
  });

  it("advanceTo(t) with no event due only moves the clock", () => {
    const sim = new Sim();
    let n = 0;
    const k = sim.on(() => n++);
    sim.at(500, k);
    sim.advanceTo(499);
    expect(n).toBe(0);
    expect(sim.now).toBe(499);
    sim.advanceTo(500);
    expect(n).toBe(1);
  });

  it("advanceTo(t) at an equal time fires URGENT before NORMAL, then in scheduling order", () => {
    const sim = new Sim();
    const order: number[] = [];
    const k = sim.on((arg) => order.push(arg));
    sim.at(10, k, 1, NORMAL);
    sim.at(10, k, 2, NORMAL);
    sim.at(10, k, 3, URGENT);
    sim.at(10, k, 4); // default priority NORMAL
    sim.advanceTo(10);
    expect(order).toEqual([3, 1, 2, 4]);
  });

  it("advanceTo(t) fires events that handlers schedule, when due at or before t", () => {
    const sim = new Sim();
    const times: number[] = [];
    let tick = -1;
    tick = sim.on((_arg, now) => {
      times.push(now);
      sim.after(100, tick); // a periodic event, like serverCron
    });
    sim.after(100, tick);
    sim.advanceTo(450);
    expect(times).toEqual([100, 200, 300, 400]);
    expect(sim.nextEventTime()).toBe(500);
    expect(sim.now).toBe(450);
  });

  it("advanceTo(t) fires an event a handler schedules at the current time in the same call", () => {
    const sim = new Sim();
    const log: string[] = [];
    const second = sim.on((_a, now) => log.push(`second@${now}`));
    const first = sim.on((_a, now) => {
      log.push(`first@${now}`);
      sim.at(now, second);
    });
    sim.at(50, first);
    sim.advanceTo(50);
    expect(log).toEqual(["first@50", "second@50"]);
  });

  it("advanceTo(t) does not fire a handler-scheduled event later than t", () => {
    const sim = new Sim();
    const log: number[] = [];
    const later = sim.on((_a, now) => log.push(now));
    const k = sim.on(() => sim.after(1000, later));
    sim.at(10, k);
    sim.advanceTo(500);
    expect(log).toEqual([]);
    expect(sim.nextEventTime()).toBe(1010);
    sim.advanceTo(1010);
    expect(log).toEqual([1010]);
  });

  it("advanceTo(t) to an earlier time does not move the clock back", () => {
    const sim = new Sim();
    sim.advanceTo(100);
    sim.advanceTo(50);
    expect(sim.now).toBe(100);
  });

  it("at(t) with t in the past throws", () => {
    const sim = new Sim();
    const k = sim.on(() => {});
    sim.advanceTo(100);
    expect(() => sim.at(99, k)).toThrow();
    expect(() => sim.at(100, k)).not.toThrow();
  });

  it("at(NaN) throws", () => {
    const sim = new Sim();
    const k = sim.on(() => {});
    expect(() => sim.at(NaN, k)).toThrow();
  });

  it("after(d) schedules at now + d", () => {
    const sim = new Sim();
    const k = sim.on(() => {});
    sim.advanceTo(70);
    sim.after(30, k);
    expect(sim.nextEventTime()).toBe(100);
  });

  it("after(-1) throws (would be in the past)", () => {
    const sim = new Sim();
    const k = sim.on(() => {});
    sim.advanceTo(70);
    expect(() => sim.after(-1, k)).toThrow();
  });
});
