"""draft inputs: text typed into a field that does not read as its kind, kept as typed

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('draft_inputs',
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=160), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_draft_inputs_report_id_reports'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('report_id', 'key', name=op.f('pk_draft_inputs'))
    )


def downgrade() -> None:
    op.drop_table('draft_inputs')
