// node run.mjs <config.json>: opens config.page in headless Chromium (config.chromium),
// runs the page's runScenario(config) and prints its result as JSON on stdout.
import { readFileSync } from "node:fs";
import puppeteer from "puppeteer-core";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const browser = await puppeteer.launch({
  executablePath: config.chromium,
  headless: true,
  // Root in containers and CI has no user namespaces for Chromium's sandbox.
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
try {
  const page = await browser.newPage();
  page.on("console", (message) => console.error(`page: ${message.text()}`));
  page.on("pageerror", (error) => console.error(`page error: ${error.message}`));
  await page.goto(config.page, { waitUntil: "load" });
  await page.waitForFunction(() => typeof window.runScenario === "function");
  const seen = await page.evaluate((cfg) => window.runScenario(cfg), config);
  process.stdout.write(JSON.stringify(seen));
} finally {
  await browser.close();
}
