import { runMain } from '../lib/runtime';
import { settlementModule } from './index';

runMain(settlementModule);
