DROP TABLE idp_simulator_keys;
