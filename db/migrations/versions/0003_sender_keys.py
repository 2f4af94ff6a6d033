"""signed bundles: sender key registry, held bundles, bundles known by digest, signer of a report

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def _rename_key(table: str) -> None:
    """PostgreSQL names constraints per schema, not per table: the renamed table's primary key
    must give up its name before the new table takes it (SQLite copies tables, nothing to do)."""
    if op.get_bind().dialect.name != "sqlite":
        op.execute(f"ALTER TABLE {table} RENAME CONSTRAINT pk_imported_bundles TO pk_{table}")


def upgrade() -> None:
    op.create_table('sender_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_code', sa.String(length=8), nullable=False),
    sa.Column('unit_name', sa.String(length=200), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=False),
    sa.Column('fingerprint', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('how', sa.String(length=16), nullable=False),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sender_keys')),
    sa.UniqueConstraint('unit_code', 'public_key', name='uq_sender_keys_unit_key')
    )
    with op.batch_alter_table('sender_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sender_keys_unit_code'), ['unit_code'], unique=False)

    op.create_table('held_bundles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('bundle_id', sa.String(length=36), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('kept_as', sa.String(length=255), nullable=False),
    sa.Column('unit_code', sa.String(length=8), nullable=False),
    sa.Column('unit_name', sa.String(length=200), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=False),
    sa.Column('fingerprint', sa.String(length=40), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision', sa.String(length=16), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_held_bundles')),
    sa.UniqueConstraint('digest', name=op.f('uq_held_bundles_digest'))
    )

    # imported_bundles: known by the file's digest, no longer by the bundle id alone (an id can
    # be copied into another file to pre-empt the genuine bundle).
    op.rename_table('imported_bundles', 'imported_bundles_0002')
    _rename_key('imported_bundles_0002')
    op.create_table('imported_bundles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bundle_id', sa.String(length=36), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=True),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.Column('source_unit', sa.String(length=8), nullable=False),
    sa.Column('signed_by', sa.String(length=40), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_imported_bundles')),
    sa.UniqueConstraint('digest', name=op.f('uq_imported_bundles_digest'))
    )
    op.execute("INSERT INTO imported_bundles (bundle_id, imported_at, source_unit, summary) "
               "SELECT bundle_id, imported_at, source_unit, summary FROM imported_bundles_0002")
    op.drop_table('imported_bundles_0002')
    with op.batch_alter_table('imported_bundles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_imported_bundles_bundle_id'), ['bundle_id'], unique=False)

    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signed_by', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('unsigned', sa.Boolean(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_column('unsigned')
        batch_op.drop_column('signed_by')
    op.rename_table('imported_bundles', 'imported_bundles_0003')
    _rename_key('imported_bundles_0003')
    op.create_table('imported_bundles',
    sa.Column('bundle_id', sa.String(length=36), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.Column('source_unit', sa.String(length=8), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('bundle_id', name=op.f('pk_imported_bundles'))
    )
    ignore = "OR IGNORE " if op.get_bind().dialect.name == "sqlite" else ""
    conflict = "" if ignore else " ON CONFLICT DO NOTHING"
    op.execute(f"INSERT {ignore}INTO imported_bundles (bundle_id, imported_at, source_unit, summary) "
               f"SELECT bundle_id, imported_at, source_unit, summary FROM imported_bundles_0003{conflict}")
    op.drop_table('imported_bundles_0003')
    op.drop_table('held_bundles')
    with op.batch_alter_table('sender_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sender_keys_unit_code'))
    op.drop_table('sender_keys')
