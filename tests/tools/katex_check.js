// Render every $...$ and $$...$$ span of a Markdown file with KaTeX; print one line per failure.
// Usage: NODE_PATH=<dir with node_modules> node katex_check.js FILE.md
const fs = require("fs");
const katex = require("katex");
const text = fs.readFileSync(process.argv[2], "utf8");
let failures = 0, count = 0;
// Display blocks first ($$ on its own lines), then inline $...$ in what is left.
const display = /^\$\$\n([\s\S]*?)\n\$\$$/gm;
const rest = text.replace(display, (m, body) => {
  count++;
  try { katex.renderToString(body, { displayMode: true, throwOnError: true, strict: "error" }); }
  catch (e) { failures++; console.log("display: " + e.message.split("\n")[0]); }
  return "";
});
for (const m of rest.matchAll(/\$([^$\n]+)\$/g)) {
  count++;
  try { katex.renderToString(m[1], { displayMode: false, throwOnError: true, strict: "error" }); }
  catch (e) { failures++; console.log("inline: " + e.message.split("\n")[0]); }
}
console.log(`${count} math spans, ${failures} failures`);
process.exit(failures ? 1 : 0);
