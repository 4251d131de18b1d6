"""Lu.i teaching board: schematic as code, circuit model, serial accessory, classroom demos."""
