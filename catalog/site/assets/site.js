// The catalog site's only script: copy buttons and the static search. No inline code, no globals.
(function () {
  "use strict";
  var script = document.currentScript;
  var root = new URL("..", script ? script.src : document.baseURI);
  var STOP = new Set("a an and are as at be by can for from in into is it its of on or that the this to was will with".split(" "));

  function words(text) {
    var folded = text.replace(/([a-z0-9])([A-Z])/g, "$1 $2").normalize("NFKD").replace(/[^\x00-\x7f]/g, "").toLowerCase();
    return (folded.match(/[a-z0-9]+/g) || []).filter(function (w) { return w.length >= 2 && !STOP.has(w); })
      .map(function (w) { return w.slice(0, 24); });
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) { return navigator.clipboard.writeText(text); }
    var area = document.createElement("textarea");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    var ok = document.execCommand("copy");
    area.remove();
    return ok ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  function setUpCopy() {
    document.querySelectorAll("button.copy").forEach(function (button) {
      button.addEventListener("click", function () {
        var source = document.getElementById(button.getAttribute("data-copy"));
        if (!source) { return; }
        copyText(source.textContent).then(function () { button.textContent = "Copied"; },
          function () { button.textContent = "Copy failed"; });
        setTimeout(function () { button.textContent = "Copy"; }, 2000);
      });
    });
  }

  var cache = {};
  function fetchJson(path) {
    if (!cache[path]) {
      cache[path] = fetch(new URL(path, root)).then(function (r) {
        if (!r.ok) { throw new Error(path + ": " + r.status); }
        return r.json();
      });
    }
    return cache[path];
  }

  function matches(meta, term) {
    var prefix = term.slice(0, 2);
    if (meta.shards.indexOf(prefix) < 0) { return Promise.resolve(new Map()); }
    return fetchJson("search/words/" + prefix + ".json").then(function (shard) {
      var found = new Map();
      Object.keys(shard).forEach(function (word) {
        if (word.lastIndexOf(term, 0) !== 0) { return; }
        var value = 0;
        shard[word].forEach(function (delta) {
          value += delta;
          var doc = Math.floor(value / 2), weight = value % 2 ? 3 : 1;
          if ((found.get(doc) || 0) < weight) { found.set(doc, weight); }
        });
      });
      return found;
    });
  }

  function search(text) {
    var terms = Array.from(new Set(words(text)));
    if (!terms.length) { return Promise.resolve(null); }
    return fetchJson("search/meta.json").then(function (meta) {
      return Promise.all(terms.map(function (t) { return matches(meta, t); })).then(function (sets) {
        var scores = sets[0];
        sets.slice(1).forEach(function (found) {
          var next = new Map();
          scores.forEach(function (score, doc) { if (found.has(doc)) { next.set(doc, score + found.get(doc)); } });
          scores = next;
        });
        var ranked = Array.from(scores.keys()).sort(function (a, b) {
          return (scores.get(b) - scores.get(a)) || (a - b);
        });
        var top = ranked.slice(0, 20);
        var shards = Array.from(new Set(top.map(function (d) { return Math.floor(d / meta.per_shard); })));
        return Promise.all(shards.map(function (n) { return fetchJson("search/docs/" + n + ".json"); }))
          .then(function (loaded) {
            var byShard = new Map(shards.map(function (n, i) { return [n, loaded[i]]; }));
            return { total: ranked.length, docs: top.map(function (d) {
              return byShard.get(Math.floor(d / meta.per_shard))[d % meta.per_shard];
            }) };
          });
      });
    });
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }

  function show(results, status, outcome) {
    results.replaceChildren();
    if (!outcome) { status.textContent = "Type a word of a tool's or server's name or description."; return; }
    status.textContent = outcome.total ? outcome.total + " match" + (outcome.total === 1 ? "" : "es") +
      (outcome.total > outcome.docs.length ? ", the best " + outcome.docs.length + " shown" : "") : "No matches.";
    outcome.docs.forEach(function (doc) {
      var item = element("li");
      var link = element("a", "result", doc[1]);
      link.href = new URL(doc[3], root).href;
      item.appendChild(link);
      item.appendChild(document.createTextNode(" "));
      item.appendChild(element("span", "muted", (doc[0] === "tool" ? "tool on " : "server ") + doc[2]));
      if (doc[4]) { item.appendChild(document.createTextNode(" ")); item.appendChild(element("span", "badge risk-" + doc[4], doc[4])); }
      if (doc[5]) { item.appendChild(element("span", "summary muted", doc[5])); }
      results.appendChild(item);
    });
  }

  function setUpSearch() {
    var input = document.getElementById("search-input");
    var results = document.getElementById("search-results");
    var status = document.getElementById("search-status");
    if (!input || !results || !status) { return; }
    var latest = 0;
    function run() {
      var ticket = ++latest;
      search(input.value).then(function (outcome) { if (ticket === latest) { show(results, status, outcome); } },
        function (error) { status.textContent = "Search failed: " + error.message; });
    }
    input.value = new URLSearchParams(window.location.search).get("q") || "";
    input.addEventListener("input", run);
    document.getElementById("search").addEventListener("submit", function (event) { event.preventDefault(); run(); });
    run();
  }

  function start() { setUpCopy(); setUpSearch(); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
