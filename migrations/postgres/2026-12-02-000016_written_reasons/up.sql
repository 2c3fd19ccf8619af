-- Texts the product writes itself (a flag raised by a rule, a required check, an exit case the
-- monthly run opened) keep their code and parameters beside the English text, so each reader sees
-- them in their own language. NULL for what a person typed.
ALTER TABLE flags ADD COLUMN reason_code TEXT;
ALTER TABLE flags ADD COLUMN reason_params TEXT;
ALTER TABLE exit_cases ADD COLUMN reason_code TEXT;
ALTER TABLE exit_cases ADD COLUMN reason_params TEXT;
ALTER TABLE required_checks ADD COLUMN reason_code TEXT;
ALTER TABLE required_checks ADD COLUMN reason_params TEXT;
