import { runMain } from '../lib/runtime';
import { resettlementModule } from './index';

runMain(resettlementModule);
