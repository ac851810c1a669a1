extension MergeReport {
    /// `report.html`'s style: system fonts, light and dark colours, diff lines coloured by class.
    static let htmlStyle = """
    :root { color-scheme: light dark; --bg: #ffffff; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --panel: #f6f8fa;
      --add-bg: #dafbe1; --add-fg: #116329; --del-bg: #ffebe9; --del-fg: #a40e26; --hunk-bg: #ddf4ff; --hunk-fg: #0550ae;
      --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --link: #0969da; }
    @media (prefers-color-scheme: dark) {
      :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --line: #30363d; --panel: #151b23;
        --add-bg: #12361f; --add-fg: #7ee787; --del-bg: #42161b; --del-fg: #ffa198; --hunk-bg: #0c2d6b; --hunk-fg: #a5d6ff;
        --ok: #3fb950; --bad: #f85149; --warn: #d29922; --link: #4493f8; }
    }
    * { box-sizing: border-box; }
    body { margin: 0 auto; max-width: 1200px; padding: 1.5rem; background: var(--bg); color: var(--fg);
      font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Liberation Sans", sans-serif; }
    code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 13px; }
    h1 code, h3 code { font-size: .9em; }
    a { color: var(--link); text-decoration: none; } a:hover { text-decoration: underline; }
    h1 { margin: 0 0 .25rem; font-size: 1.6rem; } h2 { margin-top: 2.5rem; border-bottom: 1px solid var(--line); padding-bottom: .3rem; }
    h3 { margin: 1.5rem 0 .5rem; } h4 { margin: 1rem 0 .4rem; color: var(--muted); font-size: .85rem; text-transform: uppercase; letter-spacing: .04em; }
    .sub, .note, .none, .axis, .top { color: var(--muted); }
    nav a { margin-right: 1rem; }
    .cards { display: flex; flex-wrap: wrap; gap: .75rem; }
    .card { flex: 1 1 150px; border: 1px solid var(--line); border-radius: 8px; padding: .75rem 1rem; background: var(--panel); }
    .card .label { color: var(--muted); font-size: .8rem; text-transform: uppercase; letter-spacing: .04em; }
    .card .value { font-size: 1.6rem; font-weight: 600; } .card .note { font-size: .85rem; }
    .plus { color: var(--ok); } .minus, .bad { color: var(--bad); }
    .warnings { border-left: 4px solid var(--warn); background: var(--panel); padding: .5rem 1rem .5rem 2rem; }
    table { border-collapse: collapse; margin: 1rem 0; } th, td { border-bottom: 1px solid var(--line); padding: .35rem .6rem; text-align: left; }
    .num { text-align: right; font-variant-numeric: tabular-nums; }
    table.tasks { width: 100%; }
    .badge { display: inline-block; padding: 0 .5rem; border-radius: 999px; font-size: .8rem; font-weight: 600; color: #fff; background: var(--bad); }
    .badge.done { background: var(--ok); } .badge.cancelled, .badge.skipped { background: var(--muted); }
    .timeline { border: 1px solid var(--line); border-radius: 8px; padding: .75rem; background: var(--panel); }
    .lane { display: flex; align-items: center; gap: .5rem; margin: .3rem 0; }
    .who { width: 3rem; font-weight: 600; text-align: right; }
    .track { position: relative; flex: 1; height: 1.8rem; background: var(--bg); border-radius: 4px; }
    .bar { position: absolute; top: .15rem; bottom: .15rem; min-width: 3px; border-radius: 4px; padding: 0 .35rem; overflow: hidden;
      white-space: nowrap; text-overflow: ellipsis; font-size: .75rem; line-height: 1.5rem; color: #fff; background: var(--bad); }
    .bar.done { background: var(--ok); } .bar.cancelled, .bar.skipped { background: var(--muted); }
    .bar:hover { text-decoration: none; outline: 2px solid var(--fg); }
    .axis { display: flex; justify-content: space-between; margin-left: 3.5rem; font-size: .8rem; }
    .matrix td, .matrix th { text-align: center; min-width: 2.5rem; border: 1px solid var(--line); }
    .matrix tbody th { text-align: right; }
    td.conflict { background: var(--del-bg); color: var(--del-fg); font-weight: 700; cursor: help; }
    td.clean { color: var(--ok); } td.self { background: var(--panel); }
    details { margin: .3rem 0; } summary { cursor: pointer; }
    .task { border: 1px solid var(--line); border-radius: 8px; padding: 0 1rem .5rem; margin: 1rem 0; scroll-margin-top: 1rem; }
    .task:target { outline: 2px solid var(--link); }
    .reason { color: var(--bad); font-weight: 600; }
    dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: .5rem 0; } dt { color: var(--muted); } dd { margin: 0; }
    pre.answer { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--panel); border: 1px solid var(--line);
      border-radius: 6px; padding: .75rem; max-height: 30rem; overflow: auto; }
    .files { list-style: none; padding: 0; } .files li { margin: .15rem 0; }
    .st { display: inline-block; width: 1.4rem; text-align: center; font-weight: 700; border-radius: 4px; background: var(--panel); }
    .st.A { color: var(--ok); } .st.D { color: var(--bad); } .st.R, .st.C, .st.T { color: var(--warn); }
    details.file { border: 1px solid var(--line); border-radius: 6px; overflow: hidden; }
    details.file summary { background: var(--panel); padding: .35rem .75rem; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
    details.file .counts { float: right; }
    pre.diff { margin: 0; overflow-x: auto; line-height: 1.45; }
    pre.diff span { display: block; padding: 0 .75rem; min-height: 1.45em; white-space: pre; }
    .diff .add { background: var(--add-bg); color: var(--add-fg); } .diff .del { background: var(--del-bg); color: var(--del-fg); }
    .diff .hunk { background: var(--hunk-bg); color: var(--hunk-fg); } .diff .meta { color: var(--muted); font-weight: 600; }
    .diff .note { color: var(--muted); font-style: italic; }
    .toolbar button { font: inherit; padding: .2rem .7rem; border: 1px solid var(--line); border-radius: 6px; background: var(--panel); color: var(--fg); cursor: pointer; }
    """

    /// `report.html`'s only script: buttons that open or close every file of every diff.
    static let htmlScript = """
    for (const toolbar of document.querySelectorAll(".toolbar")) {
      toolbar.hidden = false;
      for (const button of toolbar.querySelectorAll("button")) {
        button.addEventListener("click", () => {
          for (const file of document.querySelectorAll("details.file")) file.open = button.dataset.open === "true";
        });
      }
    }
    """
}
