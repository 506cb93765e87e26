import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { escapeHtml, html, raw } from "../../src/render/html/escape.js";

describe("html template", () => {
  it("escapes interpolated text", () => {
    assert.equal(html`<p>${"<script>alert(1)</script>"}</p>`.value, "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>");
  });

  it("escapes quotes inside attributes", () => {
    const out = html`<a title="${'x" onmouseover="alert(1)'}" data-y='${"it's"}'>`.value;
    assert.equal(out, `<a title="x&quot; onmouseover=&quot;alert(1)" data-y='it&#39;s'>`);
  });

  it("escapes ampersands once", () => {
    assert.equal(html`${"a & b &amp; c"}`.value, "a &amp; b &amp;amp; c");
  });

  it("passes raw markup through", () => {
    assert.equal(html`<div>${raw("<b>bold</b>")}</div>`.value, "<div><b>bold</b></div>");
  });

  it("does not escape nested templates twice", () => {
    const inner = html`<i>${"<x>"}</i>`;
    assert.equal(html`<p>${inner}</p>`.value, "<p><i>&lt;x&gt;</i></p>");
  });

  it("joins arrays and escapes their items", () => {
    const items = ["<a>", html`<li>${"&"}</li>`, ["nested", 1]];
    assert.equal(html`${items}`.value, "&lt;a&gt;<li>&amp;</li>nested1");
  });

  it("renders nothing for null, undefined and false", () => {
    assert.equal(html`[${null}${undefined}${false}]`.value, "[]");
  });

  it("renders zero and true as text", () => {
    assert.equal(html`${0} ${true}`.value, "0 true");
  });

  it("shows control characters as escapes", () => {
    assert.equal(escapeHtml("a\u001b[31mb\u202ec\td\ne"), "a\\x1b[31mb\\u{202e}c\td\ne");
  });

  it("escapes all five markup characters", () => {
    assert.equal(escapeHtml(`<>&"'`), "&lt;&gt;&amp;&quot;&#39;");
  });
});
