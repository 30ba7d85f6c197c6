"""LRS storage: statements zstd-compressed, query keys as 16-byte ids

``xapi_statements.statement`` becomes the statement's JSON compressed with Zstandard
(``lms.xapi.packing``); ``xapi_statement_keys (kind, value, stored, seq)`` becomes
``(key, stored, seq)`` with ``key`` the first 128 bits of SHA-256 of ``"<kind> <value>"``
(``lms.xapi.keys.key_id``). Together they take about half the space.

Every statement is read, compressed and written again (in batches of 2,000, in Python): on
PostgreSQL count on about a minute per million statements, with the LRS stopped. The keys
are computed in SQL on PostgreSQL.

Downgrading unpacks the statements and computes each statement's own keys again; the keys a
StatementRef statement inherited from its target are not restored.

Revision ID: e5b2c7d9a418
Revises: 8a3e6b2c4f17
Create Date: 2026-12-06 08:00:00.000000

"""
import uuid

from alembic import op
import sqlalchemy as sa

import lms.db
from lms.xapi.keys import key_id
from lms.xapi.packing import dump_json, load_json, pack, unpack

# revision identifiers, used by Alembic.
revision = 'e5b2c7d9a418'
down_revision = '8a3e6b2c4f17'
branch_labels = None
depends_on = None

BATCH = 2000

# The same as lms.xapi.keys.key_id, in SQL.
_PG_KEY = (
    "encode(substring(sha256(convert_to(kind::text || ' ' || value, 'UTF8')) "
    "from 1 for 16), 'hex')::uuid"
)


def _postgres():
    return op.get_bind().dialect.name == 'postgresql'


def _rewrite_statements(source_sql, convert):
    """Copy every statement into ``statement_new``, converted, in batches by ``seq``."""
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(sa.text(source_sql), {'last': last, 'limit': BATCH}).all()
        if not rows:
            return
        conn.execute(
            sa.text('UPDATE xapi_statements SET statement_new = :value WHERE seq = :seq'),
            [{'seq': seq, 'value': convert(value)} for seq, value in rows],
        )
        last = rows[-1][0]


def _swap_statement_column(new_type):
    with op.batch_alter_table('xapi_statements', schema=None) as batch_op:
        batch_op.drop_column('statement')
    with op.batch_alter_table('xapi_statements', schema=None) as batch_op:
        batch_op.alter_column(
            'statement_new', new_column_name='statement', existing_type=new_type,
            nullable=False,
        )


def upgrade():
    postgres = _postgres()
    with op.batch_alter_table('xapi_statements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('statement_new', sa.LargeBinary(), nullable=True))
    read = 'CAST(statement AS TEXT)' if postgres else 'statement'
    _rewrite_statements(
        f'SELECT seq, {read} FROM xapi_statements WHERE seq > :last ORDER BY seq LIMIT :limit',
        lambda raw: pack(dump_json(load_json(raw))),
    )
    _swap_statement_column(sa.LargeBinary())

    op.rename_table('xapi_statement_keys', 'xapi_statement_keys_old')
    if postgres:
        op.execute(
            'ALTER TABLE xapi_statement_keys_old '
            'RENAME CONSTRAINT pk_xapi_statement_keys TO pk_xapi_statement_keys_old'
        )
    op.create_table('xapi_statement_keys',
    sa.Column('key', sa.Uuid(), nullable=False),
    sa.Column('stored', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.PrimaryKeyConstraint('key', 'stored', 'seq', name=op.f('pk_xapi_statement_keys'))
    )
    if postgres:
        op.execute(
            f'INSERT INTO xapi_statement_keys (key, stored, seq) '
            f'SELECT {_PG_KEY}, stored, seq FROM xapi_statement_keys_old '
            'ON CONFLICT DO NOTHING'
        )
    else:
        conn = op.get_bind()
        old = sa.table(
            'xapi_statement_keys_old',
            sa.column('kind', sa.Integer()),
            sa.column('value', sa.Text()),
            sa.column('stored', lms.db.UTCDateTime()),
            sa.column('seq', sa.Integer()),
        )
        rows = conn.execute(sa.select(old.c.kind, old.c.value, old.c.stored, old.c.seq)).all()
        table = sa.table(
            'xapi_statement_keys',
            sa.column('key', sa.Uuid()),
            sa.column('stored', lms.db.UTCDateTime()),
            sa.column('seq', sa.Integer()),
        )
        for start in range(0, len(rows), BATCH):
            conn.execute(
                table.insert(),
                [
                    {'key': uuid.UUID(bytes=key_id(kind, value)), 'stored': stored, 'seq': seq}
                    for kind, value, stored, seq in rows[start:start + BATCH]
                ],
            )
    op.drop_table('xapi_statement_keys_old')


def downgrade():
    from lms.xapi.statements import key_values
    from lms.xapi.validation import statement_index

    postgres = _postgres()
    json_type = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), 'postgresql')
    with op.batch_alter_table('xapi_statements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('statement_new', sa.Text(), nullable=True))
    _rewrite_statements(
        'SELECT seq, statement FROM xapi_statements WHERE seq > :last ORDER BY seq LIMIT :limit',
        lambda packed: unpack(bytes(packed)),
    )
    if postgres:
        op.execute('ALTER TABLE xapi_statements ALTER COLUMN statement_new TYPE jsonb '
                   'USING statement_new::jsonb')
    _swap_statement_column(json_type)

    op.drop_table('xapi_statement_keys')
    op.create_table('xapi_statement_keys',
    sa.Column('kind', sa.SmallInteger(), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('stored', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.PrimaryKeyConstraint('kind', 'value', 'stored', 'seq', name=op.f('pk_xapi_statement_keys'))
    )
    conn = op.get_bind()
    table = sa.table(
        'xapi_statement_keys',
        sa.column('kind', sa.SmallInteger()),
        sa.column('value', sa.Text()),
        sa.column('stored', lms.db.UTCDateTime()),
        sa.column('seq', sa.Integer()),
    )
    statements = sa.table(
        'xapi_statements',
        sa.column('seq', sa.Integer()),
        sa.column('stored', lms.db.UTCDateTime()),
        sa.column('statement', json_type),
    )
    last = 0
    while True:
        rows = conn.execute(
            sa.select(statements.c.seq, statements.c.stored, statements.c.statement)
            .where(statements.c.seq > last)
            .order_by(statements.c.seq)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        keys = []
        for seq, stored, stmt in rows:
            for kind, value in key_values(statement_index(stmt)):
                keys.append({'kind': int(kind), 'value': value, 'stored': stored, 'seq': seq})
        if keys:
            conn.execute(table.insert(), keys)
        last = rows[-1][0]
