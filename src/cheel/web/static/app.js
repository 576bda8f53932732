// cheel ui: menus, context menus, check lists, pickers, progress. No framework, no build.
"use strict";

(() => {
  const T = JSON.parse(document.getElementById("i18n")?.textContent || "{}");
  const CSRF = document.querySelector('meta[name="csrf-token"]')?.content || "";
  const LOCALE = (document.documentElement.lang || "fr") + "-CH";
  const numberFormat = new Intl.NumberFormat(LOCALE);
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

  // -- menu bar ----------------------------------------------------------------------------
  function closeMenus(except) {
    $$("[data-menu].open").forEach((m) => {
      if (m !== except) {
        m.classList.remove("open");
        $(".menu-title", m)?.setAttribute("aria-expanded", "false");
        $$("[data-submenu].open", m).forEach((s) => s.classList.remove("open"));
      }
    });
  }
  $$("[data-menu]").forEach((menu) => {
    const title = $(".menu-title", menu);
    title.addEventListener("click", (e) => {
      e.stopPropagation();
      const open = !menu.classList.contains("open");
      closeMenus(menu);
      closePopups();
      menu.classList.toggle("open", open);
      title.setAttribute("aria-expanded", String(open));
      if (open) $(".menu-items a, .menu-items button", menu)?.focus();
    });
    $$("[data-submenu]", menu).forEach((sub) => {
      const open = () => { sub.classList.add("open"); };
      sub.addEventListener("mouseenter", open);
      sub.addEventListener("mouseleave", () => sub.classList.remove("open"));
      const subTitle = $(".submenu-title", sub);
      subTitle.addEventListener("click", (e) => { e.stopPropagation(); open(); $(".menu-items a", sub)?.focus(); });
      subTitle.addEventListener("keydown", (e) => {
        if (e.key === "ArrowRight" || e.key === "Enter" || e.key === " ") { e.preventDefault(); open(); $(".menu-items a", sub)?.focus(); }
      });
      $(".menu-items", sub).addEventListener("keydown", (e) => {
        if (e.key === "ArrowLeft") { e.preventDefault(); sub.classList.remove("open"); subTitle.focus(); }
      });
    });
    menu.addEventListener("keydown", (e) => {
      const items = $$(":scope > .menu-items > li > [role=menuitem]", menu)
        .concat($$("[data-submenu].open .menu-items [role=menuitem]", menu));
      const visible = items.filter((el) => el.offsetParent !== null);
      const i = visible.indexOf(document.activeElement);
      if (e.key === "ArrowDown") { e.preventDefault(); visible[(i + 1) % visible.length]?.focus(); }
      if (e.key === "ArrowUp") { e.preventDefault(); visible[(i - 1 + visible.length) % visible.length]?.focus(); }
      if (e.key === "Escape") { closeMenus(); title.focus(); }
    });
  });
  document.addEventListener("click", () => { closeMenus(); closePopups(); });
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") { closeMenus(); closePopups(); } });

  // -- organizations: selection, context menu, "…" button --------------------------------------
  function closePopups() {
    $$(".popup-menu:not([hidden])").forEach((m) => { m.hidden = true; });
    $$(".more-button").forEach((b) => b.setAttribute("aria-expanded", "false"));
  }
  const orgTable = $("[data-org-table]");
  let selectedOrg = $("[data-org-table] tr.selected")?.dataset.org || null;

  function selectRow(row) {
    $$("tbody tr", orgTable).forEach((r) => { r.classList.remove("selected"); r.removeAttribute("aria-selected"); });
    row.classList.add("selected");
    row.setAttribute("aria-selected", "true");
    selectedOrg = row.dataset.org;
    $$("[data-details-for]").forEach((d) => { d.hidden = d.dataset.detailsFor !== selectedOrg; });
    updateMoreMenu();
  }
  function updateMoreMenu() {
    $$("[data-more] [data-needs-selection]").forEach((b) => { b.disabled = !selectedOrg; });
  }
  function runAction(action, org) {
    const q = org ? encodeURIComponent(org) : "";
    if (action === "backup" && org) location.href = "/backup/new?org=" + q;
    if (action === "restore") location.href = "/restore/new" + (org ? "?into=" + q : "");
    if (action === "company") location.href = "/companies/new" + (org ? "?org=" + q : "");
    if (action === "rename" && org) location.href = "/organizations/rename?name=" + q;
    if (action === "delete" && org) location.href = "/organizations/delete?name=" + q;
  }
  function openPopup(menu, x, y) {
    closePopups();
    closeMenus();
    menu.hidden = false;
    if (menu.classList.contains("context-menu")) {
      const w = menu.offsetWidth, h = menu.offsetHeight;
      menu.style.left = Math.min(x, window.innerWidth - w - 4) + "px";
      menu.style.top = Math.min(y, window.innerHeight - h - 4) + "px";
    }
    $("button:not(:disabled)", menu)?.focus();
  }
  function menuKeys(menu) {
    menu.addEventListener("keydown", (e) => {
      const items = $$("button:not(:disabled)", menu);
      const i = items.indexOf(document.activeElement);
      if (e.key === "ArrowDown") { e.preventDefault(); items[(i + 1) % items.length]?.focus(); }
      if (e.key === "ArrowUp") { e.preventDefault(); items[(i - 1 + items.length) % items.length]?.focus(); }
    });
  }
  if (orgTable) {
    const context = $("#org-context-menu");
    menuKeys(context);
    $$("tbody tr", orgTable).forEach((row) => {
      row.addEventListener("click", () => selectRow(row));
      row.addEventListener("focus", () => selectRow(row));
      row.addEventListener("contextmenu", (e) => {
        e.preventDefault();
        e.stopPropagation();
        selectRow(row);
        let x = e.clientX, y = e.clientY;
        if (!x && !y) { const r = row.getBoundingClientRect(); x = r.left + 40; y = r.bottom; }
        openPopup(context, x, y);
      });
      row.addEventListener("keydown", (e) => {
        if (e.key === "ArrowDown") { e.preventDefault(); row.nextElementSibling?.focus(); }
        if (e.key === "ArrowUp") { e.preventDefault(); row.previousElementSibling?.focus(); }
      });
    });
    context.addEventListener("click", (e) => {
      const b = e.target.closest("button[data-action]");
      if (b) { e.stopPropagation(); context.hidden = true; runAction(b.dataset.action, selectedOrg); }
    });
    context.addEventListener("contextmenu", (e) => e.preventDefault());
    if (selectedOrg) {
      $$("[data-details-for]").forEach((d) => { d.hidden = d.dataset.detailsFor !== selectedOrg; });
      $("tbody tr.selected", orgTable)?.scrollIntoView({ block: "nearest" });
    }
  }
  $$("[data-more]").forEach((more) => {
    const button = $(".more-button", more);
    const menu = $(".popup-menu", more);
    menuKeys(menu);
    updateMoreMenu();
    button.addEventListener("click", (e) => {
      e.stopPropagation();
      const open = menu.hidden;
      closePopups();
      if (open) { openPopup(menu); button.setAttribute("aria-expanded", "true"); }
    });
    menu.addEventListener("click", (e) => {
      const b = e.target.closest("button[data-action]");
      if (!b || b.disabled) return;
      e.stopPropagation();
      menu.hidden = true;
      runAction(b.dataset.action, selectedOrg);
    });
  });

  // -- check lists: a right-click checks or unchecks everything ---------------------------------
  $$("[data-checklist]").forEach((list) => {
    const boxes = () => $$('tbody input[type=checkbox]:not(:disabled)', list);
    const all = $("[data-check-all]", list);
    const sync = () => {
      if (!all) return;
      const b = boxes(), n = b.filter((x) => x.checked).length;
      all.checked = b.length > 0 && n === b.length;
      all.indeterminate = n > 0 && n < b.length;
    };
    const setAll = (value) => { boxes().forEach((x) => { x.checked = value; }); sync(); };
    list.addEventListener("contextmenu", (e) => {
      e.preventDefault();
      setAll(!boxes().every((x) => x.checked));
    });
    list.addEventListener("change", (e) => { if (e.target !== all) sync(); });
    all?.addEventListener("change", () => setAll(all.checked));
    sync();
  });

  // -- radio choices that reveal their fields ---------------------------------------------------
  const bodies = $$("[data-when]");
  const syncChoices = () => bodies.forEach((b) => {
    const radio = document.getElementById(b.dataset.when);
    b.hidden = !(radio && radio.checked);
  });
  $$("input[type=radio]").forEach((r) => r.addEventListener("change", syncChoices));
  syncChoices();

  // -- wizard: passwords that differ are caught before submitting -----------------------------
  const wizard = $("#wizard-form");
  wizard?.addEventListener("submit", (e) => {
    const nav = e.submitter?.value;
    if (nav === "back") return;
    const box = $(".client-error", wizard);
    for (const input of $$("[data-must-match]", wizard)) {
      const other = document.getElementById(input.dataset.mustMatch);
      if (other && other.value !== input.value) {
        e.preventDefault();
        box.textContent = T.passwords_differ;
        box.hidden = false;
        input.focus();
        return;
      }
    }
    box.hidden = true;
    // one click is enough: the buttons rest while the next page loads
    setTimeout(() => $$(".wizard-buttons button", wizard).forEach((b) => { b.disabled = true; }), 0);
  });
  $$("[data-must-match]").forEach((input) => {  // typing again clears the complaint
    const other = document.getElementById(input.dataset.mustMatch);
    for (const el of [input, other]) {
      el?.addEventListener("input", () => { const box = $(".client-error"); if (box) box.hidden = true; });
    }
  });
  window.addEventListener("pageshow", (e) => {  // back from the history: usable again
    if (e.persisted) location.reload();
  });

  // -- ordered language list --------------------------------------------------------------------
  $$("[data-ordered]").forEach((list) => {
    list.addEventListener("click", (e) => {
      const b = e.target.closest("[data-move]");
      if (!b) return;
      const li = b.closest("li");
      if (b.dataset.move === "up" && li.previousElementSibling) li.parentNode.insertBefore(li, li.previousElementSibling);
      if (b.dataset.move === "down" && li.nextElementSibling) li.parentNode.insertBefore(li.nextElementSibling, li);
      b.focus();
    });
  });

  // -- new company: groups of the chosen organization, group name following the company name ---
  const source = $("[data-groups-source]");
  const target = $("[data-groups-target]");
  if (source && target) {
    const refresh = async () => {
      const r = await fetch("/api/organizations/" + encodeURIComponent(source.value) + "/groups", { cache: "no-store" });
      const groups = r.ok ? await r.json() : [];
      target.replaceChildren(...groups.map((g) => {
        const o = document.createElement("option");
        o.value = g.uid;
        o.textContent = g.name + (g.companies.length ? " — " + g.companies.join(", ") : "");
        return o;
      }));
      const yes = document.getElementById("share-yes"), no = document.getElementById("share-no");
      yes.disabled = groups.length === 0;
      if (yes.disabled && yes.checked) { no.checked = true; }
      syncChoices();
      source.dataset.renderedOrg = source.value;
    };
    source.addEventListener("change", refresh);
    if (source.value !== source.dataset.renderedOrg) refresh();  // changed before this ran
  }
  $$("[data-mirror-to]").forEach((input) => {
    const other = document.getElementById(input.dataset.mirrorTo);
    const flag = $("[data-edited-flag]");
    if (!other || !flag) return;
    input.addEventListener("input", () => { if (flag.value !== "1") other.value = input.value; });
    other.addEventListener("input", () => { flag.value = other.value ? "1" : ""; });
  });

  // -- folder and file pickers ------------------------------------------------------------------
  const dialog = $("#picker");
  const P = { mode: "dir", ext: "", target: null, path: "", selected: null };
  function pickerChosen(path) {
    P.selected = path;
    $("[data-picker-chosen]", dialog).textContent = path || "";
    const fits = (name) => P.ext.split(",").some((ext) => name.toLowerCase().endsWith(ext));
    $("[data-picker-ok]", dialog).disabled = P.mode === "file" ? !path || !fits(path) : false;
  }
  let pickerSeq = 0;
  async function pickerLoad(params) {
    const seq = ++pickerSeq;  // only the latest request may fill the dialog
    // what the path field says now: a path typed while this request runs is the user's, and stays
    const typed = $("#picker-path").value;
    const status = $(".picker-status", dialog);
    const list = $(".picker-list", dialog);
    list.setAttribute("aria-busy", "true");
    status.className = "picker-status";
    status.textContent = T.loading;
    const q = new URLSearchParams({ mode: P.mode, ext: P.ext, ...params });
    let data;
    try {
      const r = await fetch("/api/browse?" + q, { cache: "no-store" });
      data = await r.json();
      if (seq !== pickerSeq) return;
      list.setAttribute("aria-busy", "false");
      if (!r.ok) {
        status.className = "picker-status error";
        status.textContent = data.error || T.error;
        return;
      }
    } catch (err) {
      if (seq !== pickerSeq) return;
      list.setAttribute("aria-busy", "false");
      status.className = "picker-status error";
      status.textContent = T.error;
      return;
    }
    P.path = data.path;
    P.parent = data.parent;
    if ($("#picker-path").value === typed) $("#picker-path").value = data.path;
    $("[data-picker-up]", dialog).disabled = !data.parent;
    $(".picker-places", dialog).replaceChildren(...data.places.map((pl) => {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = T[pl.key] || pl.key;
      b.title = pl.path;
      b.addEventListener("click", () => pickerLoad({ path: pl.path }));
      li.append(b);
      return li;
    }));
    const items = [];
    for (const d of data.dirs) items.push({ ...d, kind: "dir" });
    for (const f of data.files) items.push({ ...f, kind: "file" });
    list.replaceChildren(...items.map((it) => {
      const li = document.createElement("li");
      li.setAttribute("role", "option");
      li.dataset.path = it.path;
      li.dataset.kind = it.kind;
      li.dataset.name = it.name;
      const icon = document.createElement("span");
      icon.className = "kind " + it.kind;
      icon.setAttribute("aria-hidden", "true");
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = it.name;
      li.append(icon, name);
      if (it.kind === "file") {
        const size = document.createElement("span");
        size.className = "size";
        size.textContent = it.size_text;
        li.append(size);
      }
      return li;
    }));
    status.textContent = items.length ? (data.truncated ? T.truncated : "")
      : (P.mode === "file" ? T.no_backup : T.empty);
    pickerChosen(P.mode === "dir" ? data.path : null);
    $("[data-picker-mkdir]", dialog).disabled = !data.writable;
  }
  function pickerSelect(li) {
    $$(".picker-list li", dialog).forEach((x) => { x.classList.remove("selected"); x.removeAttribute("aria-selected"); });
    if (!li) { pickerChosen(P.mode === "dir" ? P.path : null); return; }
    li.classList.add("selected");
    li.setAttribute("aria-selected", "true");
    li.scrollIntoView({ block: "nearest" });
    if (li.dataset.kind === "file" || P.mode === "dir") pickerChosen(li.dataset.path);
    else pickerChosen(null);
  }
  function pickerActivate(li) {
    if (li.dataset.kind === "dir") pickerLoad({ path: li.dataset.path });
    else { pickerSelect(li); pickerOk(); }
  }
  function pickerOk() {
    if (!P.selected) return;
    P.target.value = P.selected;
    P.target.dispatchEvent(new Event("input", { bubbles: true }));
    dialog.close();
    P.target.focus();
  }
  if (dialog) {
    const list = $(".picker-list", dialog);
    list.addEventListener("click", (e) => { const li = e.target.closest("li"); if (li) pickerSelect(li); });
    list.addEventListener("dblclick", (e) => { const li = e.target.closest("li"); if (li) pickerActivate(li); });
    list.addEventListener("keydown", (e) => {
      const items = $$("li", list);
      const i = items.findIndex((x) => x.classList.contains("selected"));
      if (e.key === "ArrowDown") { e.preventDefault(); pickerSelect(items[Math.min(i + 1, items.length - 1)]); }
      if (e.key === "ArrowUp") { e.preventDefault(); pickerSelect(items[Math.max(i - 1, 0)]); }
      if (e.key === "Enter" && i >= 0) { e.preventDefault(); pickerActivate(items[i]); }
      if (e.key === "Backspace" && P.parent) { e.preventDefault(); pickerLoad({ path: P.parent }); }
    });
    $("[data-picker-up]", dialog).addEventListener("click", () => { if (P.parent) pickerLoad({ path: P.parent }); });
    $("[data-picker-go]", dialog).addEventListener("click", () => pickerLoad({ path: $("#picker-path").value }));
    $("#picker-path").addEventListener("keydown", (e) => {
      if (e.key === "Enter") { e.preventDefault(); pickerLoad({ path: $("#picker-path").value }); }
    });
    $("[data-picker-cancel]", dialog).addEventListener("click", () => dialog.close());
    $("[data-picker-ok]", dialog).addEventListener("click", pickerOk);
    $("[data-picker-mkdir]", dialog).addEventListener("click", async () => {
      const name = window.prompt(T.new_folder_name);
      if (!name) return;
      const r = await fetch("/api/mkdir", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": CSRF },
        body: JSON.stringify({ parent: P.path, name }),
      });
      const data = await r.json();
      if (!r.ok) {
        const status = $(".picker-status", dialog);
        status.className = "picker-status error";
        status.textContent = data.error || T.error;
        return;
      }
      await pickerLoad({ path: P.path });
      pickerSelect($$(".picker-list li", dialog).find((li) => li.dataset.path === data.path));
    });
  }
  $$("[data-picker]").forEach((button) => {
    button.addEventListener("click", () => {
      P.mode = button.dataset.picker === "file" ? "file" : "dir";
      P.ext = button.dataset.ext || "";
      P.target = document.getElementById(button.dataset.target);
      $("#picker-title").textContent = button.dataset.title
        || (P.mode === "file" ? T.choose_file : T.choose_folder);
      $("[data-picker-choice-label]", dialog).textContent = P.mode === "file" ? T.file_label : T.folder_label;
      $("[data-picker-ok]", dialog).textContent = P.mode === "file" ? T.open : T.choose;
      $("[data-picker-mkdir]", dialog).hidden = P.mode === "file";
      $(".picker-list", dialog).replaceChildren();
      $("#picker-path").value = "";
      dialog.showModal();
      pickerLoad({ start: P.target.value || "" });
      $(".picker-list", dialog).focus();
    });
  });

  // -- progress of a running job ------------------------------------------------------------
  const job = $("[data-job]");
  if (job) {
    const bar = $("progress", job), text = $("[data-progress-text]", job);
    const show = (s) => {
      if (s.total) bar.value = s.percent; else bar.removeAttribute("value");  // indeterminate
      text.textContent = s.text;
      if (s.cancelling) $$("[data-cancel]").forEach((b) => { b.disabled = true; });
    };
    if (bar.hasAttribute("data-indeterminate")) bar.removeAttribute("value");  // nothing counted yet
    const tick = async () => {
      try {
        const r = await fetch("/api/jobs/" + encodeURIComponent(job.dataset.job), { cache: "no-store" });
        const s = await r.json();
        show(s);
        if (s.status !== "running") { location.reload(); return; }
      } catch (err) { /* the server may be busy; try again */ }
      setTimeout(tick, 250);
    };
    setTimeout(tick, 150);
  }

  // -- copy a path ------------------------------------------------------------------------------
  $$("[data-copy]").forEach((button) => {
    button.addEventListener("click", async () => {
      const source = $(button.dataset.copy);
      const value = source?.textContent || "";
      try {
        await navigator.clipboard.writeText(value);
      } catch (err) {  // no clipboard access: select the text, so Ctrl+C copies it
        const range = document.createRange();
        range.selectNodeContents(source);
        getSelection().removeAllRanges();
        getSelection().addRange(range);
        return;
      }
      const label = button.textContent;
      button.textContent = button.dataset.copied;
      setTimeout(() => { button.textContent = label; }, 2000);
    });
  });

  // -- keyboard: the menu's access key, and each step's first field ----------------------------
  document.addEventListener("keydown", (e) => {
    if (!e.altKey || e.ctrlKey || e.metaKey) return;
    const title = $$(".menu-title[data-access-key]").find(
      (t) => t.dataset.accessKey.toLowerCase() === e.key.toLowerCase());
    if (title) { e.preventDefault(); title.click(); }
  });
  const content = $(".wizard-content") || $(".dialog-body");
  if (content && !document.querySelector("[autofocus]")) {
    const first = $$("input:not([type=hidden]), select, textarea", content).find(
      (el) => !el.disabled && el.offsetParent !== null && !el.matches("[data-check-all]"));
    first?.focus();
  }
  document.documentElement.dataset.ready = "1";  // every handler is in place
})();
