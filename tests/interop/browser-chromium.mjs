// Drives the `browser` example's page in a real headless Chromium (Debian's, at
// /usr/bin/chromium) through playwright-core, one command at a time, so the Rust test
// (tests/tests/browser_chromium.rs) can act on the server between two clicks.
//
//   node browser-chromium.mjs http://127.0.0.1:PORT
//
// Reads one JSON command per stdin line and answers each with one JSON line on stdout:
//
//   ["open"]                  load the page at PORT's `/`
//   ["type", "#id", "text"]   clear the input, then type `text` key by key
//   ["click", "#id"]          click the button, then wait until the page enables it again
//                             (the page disables a button while its call runs)
//   ["wait_log", N]           wait until the page's log shows at least N lines
//   ["close"]                 close the browser and exit 0
//
// Every answer is the page as a person sees it:
//   {"log": [{"text", "error", "color", "busy", "at"}], "buttons": {"tour": bool, "batch": bool},
//    "bold": N, "problems": [...]}
// `log` is the page's log, oldest first: each line's text, whether it has the class `error`,
// its computed colour, whether a button was still disabled (its call still running) when the line appeared, and
// when it appeared (ms since the page loaded). `buttons` says which are enabled. `bold` counts
// <b> elements in the log (none, unless the page parsed a server string as HTML). `problems`
// lists the console errors, uncaught exceptions and failed requests so far.
//
// Everything the browser prints to its console is copied to stderr as it happens, so a
// failing test shows it. Any failure prints {"error": "..."} and exits 1; so does running
// longer than 120 s in all.
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

const CHROMIUM = "/usr/bin/chromium";
// The bound on one action (a click and the calls it starts, a page load).
const ACTION_TIMEOUT_MS = 15_000;

const base = process.argv[2];
if (!base) {
  console.error("usage: node browser-chromium.mjs http://127.0.0.1:PORT");
  process.exit(2);
}

let browser = null;

async function fail(message) {
  console.log(JSON.stringify({ error: message }));
  // Closing Chromium is best effort: the process is leaving either way, and Playwright
  // kills the browser with it.
  await Promise.race([browser?.close(), new Promise((r) => setTimeout(r, 2_000))]).catch(
    () => {},
  );
  process.exit(1);
}

setTimeout(() => fail("browser-chromium.mjs ran for more than 120 s"), 120_000).unref();

const problems = [];

function watch(page) {
  page.on("console", (message) => {
    const where = message.location();
    const line = `console.${message.type()}: ${message.text()} (${where.url}:${where.lineNumber})`;
    console.error(line);
    if (message.type() === "error") problems.push(line);
  });
  page.on("pageerror", (error) => {
    const line = `uncaught: ${error.stack ?? error}`;
    console.error(line);
    problems.push(line);
  });
  page.on("requestfailed", (request) => {
    const line = `request failed: ${request.method()} ${request.url()}: ${request.failure()?.errorText}`;
    console.error(line);
    problems.push(line);
  });
  page.on("crash", () => fail("the page crashed"));
}

// Installed in the page after it loads: notes, for every line the page adds to its log,
// whether a button was still disabled and when. The page's own script is left untouched.
function recordLogLines() {
  const log = document.getElementById("log");
  const buttons = [...document.querySelectorAll("button")];
  const seen = new WeakMap();
  globalThis.__capstanLines = seen;
  new MutationObserver((mutations) => {
    const busy = buttons.some((b) => b.disabled);
    for (const mutation of mutations) {
      for (const node of mutation.addedNodes) {
        seen.set(node, { busy, at: Math.round(performance.now()) });
      }
    }
  }).observe(log, { childList: true });
}

// The page as shown: read from the DOM, not from the page's variables.
function readPage() {
  const seen = globalThis.__capstanLines;
  const log = [...document.querySelectorAll("#log > li")].map((li) => ({
    text: li.textContent,
    error: li.classList.contains("error"),
    color: getComputedStyle(li).color,
    busy: seen?.get(li)?.busy ?? null,
    at: seen?.get(li)?.at ?? null,
  }));
  const buttons = Object.fromEntries(
    [...document.querySelectorAll("button")].map((b) => [b.id, !b.disabled]),
  );
  const bold = document.querySelectorAll("#log b").length;
  return { log, buttons, bold };
}

async function snapshot(page) {
  return { ...(await page.evaluate(readPage)), problems };
}

async function main() {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // A fresh temporary profile each run (Playwright's default for `launch`), and none of
    // Chromium's own traffic: the only network the page sees is 127.0.0.1.
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    timeout: 30_000,
  });
  const page = await browser.newPage();
  page.setDefaultTimeout(ACTION_TIMEOUT_MS);
  watch(page);

  const commands = createInterface({ input: process.stdin });
  for await (const line of commands) {
    if (!line.trim()) continue;
    const [command, ...args] = JSON.parse(line);
    switch (command) {
      case "open": {
        // "load" waits for the module scripts, so the buttons have their listeners.
        const response = await page.goto(base + "/", { waitUntil: "load" });
        if (!response?.ok()) {
          return fail(`GET /: ${response?.status()}`);
        }
        await page.evaluate(recordLogLines);
        break;
      }
      case "type": {
        const [selector, text] = args;
        const input = page.locator(selector);
        await input.fill("");
        await input.pressSequentially(text);
        break;
      }
      case "click": {
        const [selector] = args;
        // Waits for the button to be visible and enabled, then clicks it like a mouse.
        await page.locator(selector).click();
        // The page disables the button while its calls run and enables it when they end.
        await page.locator(`${selector}:enabled`).waitFor();
        break;
      }
      case "wait_log": {
        const [count] = args;
        await page.waitForFunction(
          (n) => document.querySelectorAll("#log > li").length >= n,
          count,
        );
        break;
      }
      case "close":
        await browser.close();
        console.log(JSON.stringify({ closed: true }));
        process.exit(0);
        break;
      default:
        return fail(`unknown command ${JSON.stringify(command)}`);
    }
    console.log(JSON.stringify(await snapshot(page)));
  }
  return fail("stdin closed before the close command");
}

main().catch((error) => fail(String(error?.stack ?? error)));
