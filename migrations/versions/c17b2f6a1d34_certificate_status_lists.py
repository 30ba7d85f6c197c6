"""Certificates: W3C Bitstring Status Lists, one per issuer, and each certificate's index

Certificates issued before get their indexes here, per issuing unit in the order they were
issued, so their Open Badges credentials carry a ``credentialStatus`` too.

Revision ID: c17b2f6a1d34
Revises: c17a1e5f0b21
Create Date: 2026-12-06 09:00:00.000000

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

import lms.db

# revision identifiers, used by Alembic.
revision = 'c17b2f6a1d34'
down_revision = 'c17a1e5f0b21'
branch_labels = None
depends_on = None


def upgrade():
    lists = op.create_table(
        'certificate_status_lists',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('issuer', sa.String(length=40), nullable=False),
        sa.Column('last_index', sa.Integer(), nullable=False),
        sa.Column('created_at', lms.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_status_lists')),
        sa.UniqueConstraint('issuer', name=op.f('uq_certificate_status_lists_issuer')),
    )
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_list_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('status_index', sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f('ix_certificates_status_list_id'), ['status_list_id'], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_certificates_status_list_id_certificate_status_lists'),
            'certificate_status_lists',
            ['status_list_id'],
            ['id'],
        )
    conn = op.get_bind()
    rows = conn.execute(sa.text('SELECT id, issuing_unit_id FROM certificates ORDER BY id')).all()
    by_issuer = {}
    for cert_id, unit_id in rows:
        by_issuer.setdefault(f'unit-{unit_id}' if unit_id is not None else 'lms', []).append(
            cert_id
        )
    now = datetime.now(timezone.utc)
    for issuer, cert_ids in by_issuer.items():
        conn.execute(
            lists.insert().values(issuer=issuer, last_index=len(cert_ids) - 1, created_at=now)
        )
        list_id = conn.execute(
            sa.text('SELECT id FROM certificate_status_lists WHERE issuer = :issuer'),
            {'issuer': issuer},
        ).scalar_one()
        conn.execute(
            sa.text('UPDATE certificates SET status_list_id = :list, status_index = :index '
                    'WHERE id = :id'),
            [{'list': list_id, 'index': i, 'id': cid} for i, cid in enumerate(cert_ids)],
        )


def downgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_certificates_status_list_id_certificate_status_lists'),
            type_='foreignkey',
        )
        batch_op.drop_index(batch_op.f('ix_certificates_status_list_id'))
        batch_op.drop_column('status_index')
        batch_op.drop_column('status_list_id')
    op.drop_table('certificate_status_lists')
