-- GoAlert import (shared/spec/import.md). GoAlert's ids are kept as handoff's, so these tables
-- only say which handoff rotations and users came from GoAlert, and hold GoAlert's rows as last
-- imported: a re-run compares GoAlert's current rows with them, updates what changed in GoAlert
-- since and leaves the rest alone, and tells an imported rotation from one created in handoff
-- (whose name GoAlert's may clash with: a conflict, never overwritten). A row goes with its
-- handoff row: a rotation deleted in handoff is new again to the next run.
CREATE TABLE goalert_imported_rotations (
    rotation_id uuid PRIMARY KEY REFERENCES rotations (id) ON DELETE CASCADE,
    source jsonb NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE goalert_imported_users (
    user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    source jsonb NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- An imported rotation's history starts with one row, cause 'imported': GoAlert's on-call
-- participant, since GoAlert's shift_start.
ALTER TABLE handoffs
    DROP CONSTRAINT handoffs_cause_check,
    ADD CONSTRAINT handoffs_cause_check CHECK (cause IN
        ('boundary', 'started', 'manual', 'participant_removed', 'participants_replaced',
         'imported'));
