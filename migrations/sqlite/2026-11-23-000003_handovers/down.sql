DROP TABLE handover_moves;
DROP TABLE handovers;
