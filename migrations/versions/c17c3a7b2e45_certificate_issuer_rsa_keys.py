"""Certificates: an RSA key per issuer for Open Badges 3.0 (RS256); hashed holders for all

The issuers' keys are created on first use. Certificates issued before version 2 get a salt
and a ``credentialSubject.id`` here, so their credentials too carry the holder as a hashed
``IdentityObject`` instead of the plain name (neither is part of their version-1 signature).

Revision ID: c17c3a7b2e45
Revises: c17b2f6a1d34
Create Date: 2026-12-06 09:15:00.000000

"""
import os

from alembic import op
import sqlalchemy as sa
from flask import current_app

import lms.db
from lms.certificates.crypto import pseudonym

# revision identifiers, used by Alembic.
revision = 'c17c3a7b2e45'
down_revision = 'c17b2f6a1d34'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'certificate_issuer_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('issuer', sa.String(length=40), nullable=False),
        sa.Column('generation', sa.Integer(), nullable=False),
        sa.Column('thumbprint', sa.String(length=64), nullable=False),
        sa.Column('public_jwk', lms.db.JSONType, nullable=False),
        sa.Column('private_key_enc', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', lms.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_issuer_keys')),
        sa.UniqueConstraint(
            'issuer', 'generation', name=op.f('uq_certificate_issuer_keys_issuer_generation')
        ),
        sa.UniqueConstraint('thumbprint', name=op.f('uq_certificate_issuer_keys_thumbprint')),
    )
    conn = op.get_bind()
    rows = conn.execute(
        sa.text('SELECT id, user_id FROM certificates WHERE holder_salt IS NULL')
    ).all()
    if rows:
        secret = str(current_app.config['SECRET_KEY'])
        conn.execute(
            sa.text('UPDATE certificates SET holder_salt = :salt, subject_id = :subject '
                    'WHERE id = :id'),
            [
                {'id': cid, 'salt': os.urandom(16).hex(), 'subject': pseudonym(secret, uid)}
                for cid, uid in rows
            ],
        )


def downgrade():
    op.drop_table('certificate_issuer_keys')
