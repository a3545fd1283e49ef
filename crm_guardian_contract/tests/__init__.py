from . import test_contract_checks
