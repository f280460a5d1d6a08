// Runs the script of a flame graph written by `perfvisor convert --to svg` under node with a
// small stand-in for the browser's DOM (the elements it touches: the boxes' <g>, <rect>, <title>,
// <text>, and the #details, #matched, #search, #reset texts), then clicks and searches as a user
// would and checks what the script did to the boxes:
//   zoom:   a click on a box makes it span the whole width; its descendants are scaled to it,
//           its ancestors stay (full width, dimmed), every other box is hidden; Escape resets
//   search: the boxes whose names match are coloured, and "Matched: P%" is the share of the
//           total they cover (nested matches counted once), computed here independently
//   colour: "Colour" switches every box between its kind's colour and its domain's, and back
// Usage: node svg-viewer-check.js FILE.svg ZOOM-NAME SEARCH-REGEX.  Prints one line; exit 0 or 1.
'use strict';
const fs = require('fs');
const [file, zoomName, searchRe] = process.argv.slice(2);
const text = fs.readFileSync(file, 'utf8');

function fail(msg) { console.log('svg viewer: ' + msg); process.exit(1); }
function unescape(s) {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

class El {
  constructor(tag, attrs) { this.tag = tag; this.attrs = Object.assign({}, attrs); this.kids = []; this.style = {}; this.on = {}; this.textContent = ''; }
  getAttribute(a) { return a in this.attrs ? this.attrs[a] : null; }
  setAttribute(a, v) { this.attrs[a] = String(v); }
  hasAttribute(a) { return a in this.attrs; }
  removeAttribute(a) { delete this.attrs[a]; }
  addEventListener(ev, fn) { (this.on[ev] = this.on[ev] || []).push(fn); }
  fire(ev, arg) { (this.on[ev] || []).forEach((fn) => fn(arg || {})); }
  querySelector(tag) { return this.kids.find((k) => k.tag === tag) || null; }
}
function attrsOf(s) {
  const a = {};
  for (const m of s.matchAll(/([\w-]+)="([^"]*)"/g)) a[m[1]] = unescape(m[2]);
  return a;
}

// the boxes, as the SVG holds them
const boxes = [];
for (const m of text.matchAll(/<g class="fg"([^>]*)><title>(.*?)<\/title><rect([^>]*)\/><text([^>]*)>(.*?)<\/text><\/g>/g)) {
  const g = new El('g', attrsOf(m[1]));
  const title = new El('title', {}); title.textContent = unescape(m[2]);
  g.kids.push(title, new El('rect', attrsOf(m[3])), new El('text', attrsOf(m[4])));
  boxes.push(g);
}
if (!boxes.length) fail('no boxes');
const byId = {};
for (const id of ['details', 'matched', 'search', 'reset', 'colour']) byId[id] = new El('text', { id });
const win = new El('window', {});
const document = {
  querySelectorAll: (sel) => (sel === 'g.fg' ? boxes : fail('unexpected selector ' + sel)),
  getElementById: (id) => byId[id] || fail('unexpected id ' + id),
};
let promptAnswer = null;
const script = (text.match(/<!\[CDATA\[([\s\S]*?)\]\]>/) || fail('no script'))[1];
// eslint-disable-next-line no-new-func
new Function('window', 'document', 'prompt', 'alert', script)(win, document, () => promptAnswer, (e) => fail('alert: ' + e));
win.fire('load');

const W = +text.match(/<svg[^>]* width="(\d+)"/)[1], PAD = 10;
const num = (g, a) => +g.getAttribute(a);
const rect = (g) => g.querySelector('rect');
const near = (a, b) => Math.abs(a - b) < 0.01;

// zoom into the first box named zoomName below the process rows
const z = boxes.find((g) => g.getAttribute('data-n') === zoomName && num(g, 'data-d') > 2) || fail('no box ' + zoomName);
z.fire('click');
const zx = num(z, 'data-x'), zw = num(z, 'data-w'), zd = num(z, 'data-d');
if (!near(+rect(z).getAttribute('x'), PAD) || !near(+rect(z).getAttribute('width'), W - 2 * PAD)) fail('the zoomed box does not span the width');
let shown = 0, hidden = 0, below = 0;
for (const g of boxes) {
  const x = num(g, 'data-x'), w = num(g, 'data-w'), d = num(g, 'data-d');
  const inside = x >= zx && x + w <= zx + zw && d >= zd, under = d < zd && x <= zx && x + w >= zx + zw;
  if (inside) {
    shown++;
    const want = PAD + (x - zx) * (W - 2 * PAD) / zw, wantw = w * (W - 2 * PAD) / zw;
    if (g.style.display !== '' || !near(+rect(g).getAttribute('x'), want) || !near(+rect(g).getAttribute('width'), wantw))
      fail('box ' + g.getAttribute('data-n') + ' is not scaled to the zoomed box');
  } else if (under) {
    below++;
    if (g.style.display !== '' || !near(+rect(g).getAttribute('width'), W - 2 * PAD) || !(g.style.opacity < 1))
      fail('ancestor ' + g.getAttribute('data-n') + ' is not full width and dimmed');
  } else {
    hidden++;
    if (g.style.display !== 'none') fail('box ' + g.getAttribute('data-n') + ' outside the zoom is shown');
  }
}
if (below !== zd) fail(below + ' ancestors shown below depth ' + zd);
win.fire('keydown', { key: 'Escape', preventDefault() {} });
if (!boxes.every((g) => g.style.display === '')) fail('Escape did not show every box again');
if (!near(+rect(z).getAttribute('width'), zw * (W - 2 * PAD) / num(boxes[0], 'data-w'))) fail('Escape did not reset the widths');

// search
promptAnswer = searchRe;
byId.search.fire('click');
const rx = new RegExp(searchRe), spans = [];
let sum = 0, coloured = 0;
for (const g of boxes) {
  const m = rx.test(g.getAttribute('data-n'));
  if (m !== (rect(g).getAttribute('fill') === 'rgb(230,0,230)')) fail('box ' + g.getAttribute('data-n') + ' coloured wrongly');
  if (!m) continue;
  coloured++;
  const x = num(g, 'data-x'), w = num(g, 'data-w');
  if (!spans.some(([a, b]) => a <= x && x + w <= b)) { spans.push([x, x + w]); sum += w; }
}
const want = 'Matched: ' + (100 * sum / num(boxes[0], 'data-w')).toFixed(2) + '%';
if (byId.matched.textContent !== want) fail('search shows "' + byId.matched.textContent + '", want "' + want + '"');
if (!coloured) fail('search matched nothing');
promptAnswer = '';
byId.search.fire('click');
if (byId.matched.textContent !== '' || boxes.some((g) => rect(g).getAttribute('fill') === 'rgb(230,0,230)')) fail('an empty search did not clear');
// colour by domain and back (nothing highlighted now)
byId.colour.fire('click');
if (byId.colour.textContent !== 'Colour: domain' || boxes.some((g) => rect(g).getAttribute('fill') !== g.getAttribute('data-cd')))
  fail('"Colour" did not paint the boxes by domain');
const hues = new Set(boxes.filter((g) => g.getAttribute('data-k') === 'domain').map((g) => g.getAttribute('data-cd')));
if (hues.size !== boxes.filter((g) => g.getAttribute('data-k') === 'domain').length) fail('two domains share a colour');
byId.colour.fire('click');
if (byId.colour.textContent !== 'Colour: kind' || boxes.some((g) => rect(g).getAttribute('fill') !== g.getAttribute('data-ck')))
  fail('"Colour" did not paint the boxes by kind again');
console.log('svg viewer: zoom on ' + zoomName + ' (' + shown + ' shown, ' + below + ' ancestors, ' + hidden +
  ' hidden), Escape, search /' + searchRe + '/ (' + coloured + ' boxes, ' + want + '), colour by domain/kind work');
