"""``taizhang evidence …``: attach a file to a record, list, show and copy out evidence."""

from __future__ import annotations

import shutil
from pathlib import Path

import typer

from security.evidence import registry, service
from security.evidence.choices import EvidenceKind
from security.evidence.service import EvidenceRead
from taizhang.cli_support import JsonOption, boundary, fail, print_json, print_table

app = typer.Typer(help="佐证材料：附加到台账记录的文件", no_args_is_help=True)
COLUMNS = [
    ("id", "编号"),
    ("object_type", "记录类型"),
    ("object_id", "记录"),
    ("kind", "类别"),
    ("filename", "文件名"),
    ("size", "大小"),
    ("media_type", "类型"),
]


@app.command("types", help="可附加佐证材料的记录类型")
def types(as_json: bool = JsonOption) -> None:
    rows = [{"object_type": t, "label": a.label} for t, a in registry.attachable_types().items()]
    if as_json:
        print_json(rows)
    else:
        print_table(rows, [("object_type", "记录类型"), ("label", "名称")])


@app.command(
    "add",
    help="把文件附加到一条记录，如：taizhang evidence add security.drill 3 纪要.pdf --kind drill_minutes",
)
def add(
    object_type: str = typer.Argument(help="记录类型，如 inventory.project"),
    object_id: int = typer.Argument(help="记录编号"),
    path: Path = typer.Argument(help="文件路径"),
    kind: str = typer.Option(
        EvidenceKind.OTHER.value,
        "--kind",
        help="材料类别：" + "、".join(f"{k.value}（{k.label}）" for k in EvidenceKind),
    ),
    description: str = typer.Option("", "--description", help="说明"),
    as_json: bool = JsonOption,
) -> None:
    try:
        evidence_kind = EvidenceKind.from_label(kind)
    except ValueError as exc:
        fail(f"--kind：{exc}")
    if not path.is_file():
        fail(f"文件不存在：{path}")
    with boundary() as session, path.open("rb") as stream:
        evidence = service.attach(
            session,
            object_type=object_type,
            object_id=object_id,
            kind=evidence_kind,
            filename=path.name,
            stream=stream,
            description=description,
        )
        read = EvidenceRead.model_validate(evidence)
    if as_json:
        print_json(read.model_dump(mode="json"))
    else:
        typer.echo(
            f"已附加佐证材料 {read.id}：{read.filename}（{read.media_type}，{read.size} 字节，SHA-256 {read.sha256}）"
        )


@app.command("list", help="列出佐证材料")
def list_cmd(
    object_type: str = typer.Option(None, "--object-type", help="记录类型"),
    object_id: int = typer.Option(None, "--object-id", help="记录编号"),
    as_json: bool = JsonOption,
) -> None:
    with boundary() as session:
        stmt = service.list_query(object_type=object_type, object_id=object_id)
        rows = [
            EvidenceRead.model_validate(e).model_dump(mode="json") for e in session.execute(stmt).scalars()
        ]
    if as_json:
        print_json(rows)
    else:
        print_table([{**r, "kind": EvidenceKind(r["kind"]).label} for r in rows], COLUMNS)


@app.command("get", help="把佐证材料复制到本地文件")
def get(
    evidence_id: int = typer.Argument(help="佐证材料编号"),
    output: Path = typer.Option(..., "--output", "-o", help="保存到的文件路径"),
    force: bool = typer.Option(False, "--force", help="覆盖已存在的文件"),
) -> None:
    if output.exists() and not force:
        fail(f"文件已存在：{output}（如需覆盖请加 --force）")
    with boundary() as session:
        evidence = service.get(session, evidence_id)
        source = service.blob_of(evidence)
    shutil.copyfile(source, output)
    typer.echo(f"已保存到 {output}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="evidence")
