DROP TRIGGER assignments_keep_insert ON assignments;
DROP TRIGGER assignments_keep_update ON assignments;
DROP TRIGGER assignments_keep_delete ON assignments;
DROP FUNCTION assignments_keep();
CREATE TRIGGER rm_loads_assignment_insert AFTER INSERT ON assignments
    FOR EACH ROW WHEN (NEW.valid_to IS NULL) EXECUTE FUNCTION rm_loads_keep();
CREATE TRIGGER rm_loads_assignment_update AFTER UPDATE OF valid_to, rm_id, customer_id ON assignments
    FOR EACH ROW EXECUTE FUNCTION rm_loads_keep();
CREATE TRIGGER rm_loads_assignment_delete AFTER DELETE ON assignments
    FOR EACH ROW WHEN (OLD.valid_to IS NULL) EXECUTE FUNCTION rm_loads_keep();
CREATE TRIGGER second_rm_queue_assignment_insert AFTER INSERT ON assignments
    FOR EACH ROW WHEN (NEW.valid_to IS NULL) EXECUTE FUNCTION second_rm_queue_keep();
CREATE TRIGGER second_rm_queue_assignment_update AFTER UPDATE OF valid_to, customer_id ON assignments
    FOR EACH ROW EXECUTE FUNCTION second_rm_queue_keep();
CREATE TRIGGER second_rm_queue_assignment_delete AFTER DELETE ON assignments
    FOR EACH ROW EXECUTE FUNCTION second_rm_queue_keep();
