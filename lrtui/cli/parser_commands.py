"""The subcommands other than ``run``: the journal's, the tenant's (machines, library, cancel), the account's,
and the helpers (verify, completion, man, config)."""

from __future__ import annotations

from pathlib import Path

from lrtui.cli.parser import AddParser, connection_options, format_options, parse_duration, subcommand

SHELLS = ("bash", "zsh", "fish")


def _journal_parsers(add: AddParser) -> None:
    rs = subcommand(add, "resume", "pick up every unfinished job from the journal")
    rs.add_argument("--out", metavar="DIR", type=Path, help="where results go (default: where each run put them)")
    rs.add_argument(
        "--deadline",
        metavar="DURATION",
        type=parse_duration,
        help="stop waiting after DURATION (90, 20s, 30m, 2h); exit 4 if work is still queued or running",
    )
    rs.add_argument(
        "--batch",
        metavar="ID",
        help="continue this batch (paused by its canary, its failure limit or from the app; a unique prefix works)",
    )
    rs.add_argument("--retry-failed", action="store_true", help="with --batch: retry its failed jobs, then continue")
    rs.add_argument("--cancel", action="store_true", help="with --batch: cancel it (held and queued jobs dropped)")
    format_options(rs, "json", "jsonl", "csv")

    a = subcommand(add, "actions", "list the journal's jobs and actions")
    a.add_argument("--active", action="store_true", help="only unfinished ones")
    format_options(a, "json", "csv")

    res = subcommand(add, "results", "fetch or show one action's results")
    res.add_argument("action_id", metavar="ACTION_ID", help="the machine action's id (from `lrtui actions`)")
    res.add_argument("--out", metavar="DIR", type=Path, help="download every result again into DIR")
    format_options(res, "json", "csv")

    ex = subcommand(add, "export", "write an evidence bundle for a case (manifest + files + hash chain)")
    ex.add_argument("--case", required=True, metavar="ID", help="case id (matched as a word in the comments)")
    ex.add_argument("--out", required=True, metavar="DIR", type=Path, help="the bundle's folder (new or empty)")

    v = subcommand(add, "verify", "re-hash an evidence bundle: every file, the CSV manifest and the journal chain")
    v.add_argument("bundle", metavar="BUNDLE", type=Path, help="the folder `lrtui export` wrote")
    format_options(v, "json")


def _batch_parsers(add: AddParser) -> None:
    b = subcommand(add, "batches", "list the journal's batches (one sequence sent to many machines), newest first")
    format_options(b, "json")
    by_help = "output: machines with the same output; line: each line's machines; column:NAME: a column's values"
    st = subcommand(add, "stack", "stack a batch's script outputs: groups largest first, lines and values rarest first")
    st.add_argument("batch", metavar="BATCH", help="the batch id (or a unique prefix of 4+; see `lrtui batches`)")
    st.add_argument("--by", default="output", metavar="output|line|column:NAME", help=by_help)
    st.add_argument("--mask", metavar="NAMES", help="what to mask before comparing (default banner,host,time,pid,guid)")
    st.add_argument("--no-mask", action="store_true", help="compare outputs exactly as printed")
    st.add_argument(
        "--command", type=int, metavar="INDEX", help="the RunScript's index in the sequence (default: the first)"
    )
    format_options(st, "json", "csv")
    tb = subcommand(add, "table", "merge a batch's CSV or JSON-lines outputs into one table with a machine column")
    tb.add_argument("batch", metavar="BATCH", help="the batch id (or a unique prefix of 4+; see `lrtui batches`)")
    tb.add_argument(
        "--command", type=int, metavar="INDEX", help="the RunScript's index in the sequence (default: the first)"
    )
    format_options(tb, "csv", "jsonl")


def _tenant_parsers(add: AddParser) -> None:
    m = subcommand(add, "machines", "list the tenant's machines (searched or filtered)")
    how = m.add_mutually_exclusive_group()
    how.add_argument(
        "--search", metavar="QUERY", help='the app\'s search language, e.g. "tag:finance health:online -os:linux"'
    )
    how.add_argument("--filter", metavar="ODATA", help="an OData $filter the service applies")
    format_options(m, "json", "csv")

    lib = subcommand(add, "library", "the tenant's live response library: list, upload, rm, get")
    ls = lib.add_subparsers(dest="library_cmd", metavar="ACTION", required=True)
    lst = ls.add_parser("list", help="every file in the library", description="Every file in the library.")
    format_options(lst, "json", "csv")
    up = ls.add_parser("upload", help="upload a script or file", description="Upload a script or file (20 MB).")
    up.add_argument("file", metavar="FILE", type=Path, help="the local file to upload")
    up.add_argument("--name", metavar="NAME", help="the name in the library (default: the file's name)")
    up.add_argument("--description", metavar="TEXT", default="", help="what the file is for")
    up.add_argument("--parameters-description", metavar="TEXT", default="", help="what its --args mean")
    up.add_argument("--has-parameters", action="store_true", help="the script takes arguments")
    up.add_argument("--override", action="store_true", help="replace a file of the same name")
    format_options(up, "json")
    rm = ls.add_parser("rm", help="remove a file from the library", description="Remove a file from the library.")
    rm.add_argument("name", metavar="NAME", help="the library file's name")
    get = ls.add_parser("get", help="one file's metadata", description="One library file's metadata.")
    get.add_argument("name", metavar="NAME", help="the library file's name")
    format_options(get, "json")
    for p in (lst, up, rm, get):
        connection_options(p)

    c = subcommand(add, "cancel", "cancel machine actions (by id, or every active one in the journal)")
    c.add_argument("action_ids", nargs="*", metavar="ACTION_ID", help="the actions to cancel")
    c.add_argument("--all-active", action="store_true", help="every unfinished action this profile's journal knows")
    c.add_argument("--comment", "-c", metavar="TEXT", required=True, help="required: why (sent with the cancel)")
    format_options(c, "json")


def _account_parsers(add: AddParser) -> None:
    subcommand(add, "login", "sign in for the profile and say where the token cache lives")
    subcommand(add, "logout", "forget the profile's cached tokens")
    tm = subcommand(add, "team", "the team's shared budgets ([profiles.NAME.team] redis_url)")
    tm.add_argument("what", choices=["status"], help="status: sessions, calls and who holds each machine")
    format_options(tm, "json")
    cf = subcommand(add, "config", "config file helpers")
    cf.add_argument(
        "what",
        choices=["path", "show", "example"],
        help="path: print the file's path; show: the active profile; example: a sample file",
    )


def _helper_parsers(add: AddParser) -> None:
    co = add(
        "completion",
        help="print a shell completion script",
        description="Print a completion script for SHELL, generated from this parser. "
        "bash: lrtui completion bash > ~/.local/share/bash-completion/completions/lrtui; "
        "zsh: lrtui completion zsh > ~/.zfunc/_lrtui; fish: lrtui completion fish > ~/.config/fish/completions/lrtui.fish",
    )
    co.add_argument("shell", choices=SHELLS, help="bash, zsh or fish")
    mn = add("man", help="print the man page (roff)", description="Print lrtui(1) in roff, generated from this parser.")
    mn.add_argument("--out", metavar="FILE", type=Path, help="write it to FILE instead (e.g. man/lrtui.1)")


def add_other_commands(add: AddParser) -> None:
    _journal_parsers(add)
    _batch_parsers(add)
    _tenant_parsers(add)
    _account_parsers(add)
    _helper_parsers(add)
