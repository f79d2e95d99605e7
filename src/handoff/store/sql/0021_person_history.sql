-- Which rotations' history names a person (a person's report and page, reports.md): the rows
-- handed to them, and the few where someone else was on call for them (an override), are
-- indexed, so a person's page reads their rows rather than the whole history. Most rows have
-- on_call_user_id = to_user_id, so the second index holds only the rows an override changed:
-- the engine writes one more index entry per handoff, not two.
CREATE INDEX handoffs_to_user_idx ON handoffs (to_user_id, rotation_id);
CREATE INDEX handoffs_on_call_user_idx ON handoffs (on_call_user_id, rotation_id)
    WHERE on_call_user_id IS DISTINCT FROM to_user_id;
